/**
 * The backend client tools use. One call = one deadline (default 10 s) that covers getting the
 * token, waiting for a request slot, every attempt and every backoff wait; an MCP cancellation
 * ends it at once. Around the single request (attempt.ts) it adds, in order: the token's expiry
 * check (no request with a token we know is expired), the result cache, shared calls (identical
 * concurrent calls share one request), the concurrency cap, retries where safe, and one retry
 * with a refreshed token after the backend rejected the token.
 */
import { staticTokenSource, type TokenSource, tokenExpiry } from "../config/tokenSource.js";
import { log } from "../log.js";
import { type Failure, ToolFailure } from "../tools/failures.js";
import { type FetchLike, queryOnce } from "./attempt.js";
import { callKey } from "./cache.js";
import { classifyBackendError } from "./classify.js";
import { untilAborted } from "./clock.js";
import { withRetries } from "./retry.js";
import { type BackendRuntime, createBackendRuntime } from "./runtime.js";

export type { FetchLike } from "./attempt.js";

export interface CallOptions {
  /** Aborted when the MCP client cancels the call. */
  signal?: AbortSignal;
}

export interface ConvexBackend {
  readonly url: string;
  query(functionPath: string, args: Record<string, unknown>, options?: CallOptions): Promise<unknown>;
}

export interface ConvexBackendOptions {
  url: string;
  /** A fixed token, or a source that can refresh it. */
  token: string | TokenSource;
  /** Shared with the provider's other backends; a private one (with defaults) when absent. */
  runtime?: BackendRuntime;
  /** Only used when no runtime is given. */
  timeoutMs?: number;
  /** Only used when no runtime is given. */
  fetch?: FetchLike;
}

/** The reason a call's signal carries when its deadline passes (to tell it from a cancellation). */
export class DeadlineExceeded extends Error {
  constructor(readonly timeoutMs: number) {
    super(`deadline of ${timeoutMs} ms exceeded`);
    this.name = "DeadlineExceeded";
  }
}

const AUTH_REJECTIONS: ReadonlySet<Failure["kind"]> = new Set(["token_expired", "token_invalid", "unauthorized"]);

export function createConvexBackend(options: ConvexBackendOptions): ConvexBackend {
  const { url } = options;
  const runtime =
    options.runtime ??
    createBackendRuntime({
      limits: options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {},
      fetch: options.fetch,
    });
  const tokens = typeof options.token === "string" ? staticTokenSource(options.token) : options.token;
  const { limits, clock } = runtime;

  /** Says what went wrong with the token, naming where it came from and how to refresh it. */
  function withSource(failure: Failure): Failure {
    return AUTH_REJECTIONS.has(failure.kind) ? ({ ...failure, source: tokens.info } as Failure) : failure;
  }

  // The token rarely changes; decode its expiry once per token, not once per call.
  let expiryOf: { token: string; expiredAt: number | undefined } | undefined;
  function assertNotExpired(token: string): void {
    if (expiryOf?.token !== token) expiryOf = { token, expiredAt: tokenExpiry(token) };
    const expiredAt = expiryOf.expiredAt;
    const now = clock.now();
    if (expiredAt !== undefined && expiredAt <= now) {
      throw new ToolFailure({ kind: "token_expired_local", expiredAt, now, source: tokens.info });
    }
  }

  function classify(error: unknown, functionPath: string, args: Record<string, unknown>): Failure {
    if (error instanceof ToolFailure) return error.failure;
    return classifyBackendError(error, { url, functionPath, timeoutMs: limits.timeoutMs, args });
  }

  /** One shared, retried, capped request for `token` (or the cached answer). */
  async function sharedQuery(
    token: string,
    functionPath: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
    deadlineAt: number,
  ): Promise<unknown> {
    const key = callKey(token, `${url} ${functionPath}`, args);
    const cached = runtime.cache.get(key);
    if (cached) return cached.value;
    const answer = await runtime.flights.run(key, signal, deadlineAt, async (flight) => {
      const result = await withRetries(
        async () => {
          const release = await runtime.limiter.acquire(flight.signal);
          try {
            return await queryOnce({
              url,
              token,
              functionPath,
              args,
              signal: flight.signal,
              fetch: runtime.fetch,
              maxResponseBytes: limits.maxResponseBytes,
            });
          } finally {
            release();
          }
        },
        {
          policy: limits.retry,
          clock,
          signal: flight.signal,
          deadlineAt: flight.deadlineAt,
          classify: (error) => classify(error, functionPath, args),
          onRetry: (failure, attempt, delayMs) =>
            log("info", `backend call failed (${failure.kind}); retry ${attempt} in ${delayMs} ms`),
        },
      );
      runtime.cache.set(key, result.value, result.bytes);
      return result;
    });
    return answer.value;
  }

  return {
    url,
    async query(functionPath, args, callOptions = {}) {
      const deadlineAt = clock.now() + limits.timeoutMs;
      // One controller carries both the deadline and the client's cancellation. Linked by hand:
      // Node 20's AbortSignal.any costs ~30 µs per call and keeps its sources alive until GC.
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(new DeadlineExceeded(limits.timeoutMs)), limits.timeoutMs);
      const cancel = callOptions.signal;
      const onCancel = () => deadline.abort(cancel?.reason);
      if (cancel?.aborted) onCancel();
      else cancel?.addEventListener("abort", onCancel, { once: true });
      const signal = deadline.signal;
      try {
        signal.throwIfAborted();
        const token = await untilAborted(tokens.get(), signal);
        assertNotExpired(token);
        try {
          return await sharedQuery(token, functionPath, args, signal, deadlineAt);
        } catch (error) {
          if (signal.aborted || !(error instanceof ToolFailure) || !AUTH_REJECTIONS.has(error.failure.kind))
            throw error;
          // Rejected: a refreshing source gets one chance to offer a newer token, then one retry.
          const fresh = await untilAborted(tokens.afterRejection(token), signal);
          if (fresh === undefined || fresh === token) throw error;
          assertNotExpired(fresh);
          return await sharedQuery(fresh, functionPath, args, signal, deadlineAt);
        }
      } catch (error) {
        if (signal.aborted) {
          const reason = signal.reason as { name?: string } | undefined;
          throw new ToolFailure(
            reason?.name === "DeadlineExceeded"
              ? { kind: "timeout", url, timeoutMs: limits.timeoutMs }
              : { kind: "cancelled" },
          );
        }
        throw new ToolFailure(withSource(classify(error, functionPath, args)));
      } finally {
        clearTimeout(timer);
        cancel?.removeEventListener("abort", onCancel);
      }
    },
  };
}
