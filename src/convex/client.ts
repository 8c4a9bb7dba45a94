/**
 * The backend client tools use. One call = one deadline (default 10 s) that covers getting the
 * token, waiting for a request slot, every attempt and every backoff wait; an MCP cancellation
 * ends it at once. Around the single request (attempt.ts) it adds, in order: the token's expiry
 * check (no request with a token we know is expired), the result cache, shared calls (identical
 * concurrent calls share one request), the concurrency cap, retries where safe, and one retry
 * with a refreshed token after the backend rejected the token.
 *
 * What is safe depends on the function's kind (the policy below): a query is a read, so it is
 * retried, shared and cacheable; a mutation or an action changes something, so it is sent once,
 * never shared or cached, and retried only when the caller declares it idempotent. Each kind goes
 * to its own endpoint: Convex refuses a mutation sent to /api/query.
 */
import { staticTokenSource, type TokenSource, tokenExpiry } from "../config/tokenSource.js";
import { Cancel, type CancelSignal } from "../core/cancel.js";
import { type Failure, type ResourceRef, ToolFailure } from "../core/failures.js";
import { log } from "../core/log.js";
import { type Answer, callOnce, type FetchLike, type FunctionKind } from "./attempt.js";
import { callKey } from "./cache.js";
import { classifyBackendError } from "./classify.js";
import { untilAborted } from "./clock.js";
import { withRetries } from "./retry.js";
import { type BackendRuntime, createBackendRuntime } from "./runtime.js";

export type { FetchLike, FunctionKind } from "./attempt.js";

export interface CallOptions {
  /** Aborted when the MCP client cancels the call. */
  signal?: CancelSignal;
  /** The document the call is about, so a permission or not-found answer can name it. */
  resource?: ResourceRef;
  /** A mutation or action that is safe to send twice may be retried like a query. */
  idempotent?: boolean;
}

export interface ConvexBackend {
  readonly url: string;
  call(
    kind: FunctionKind,
    functionPath: string,
    args: Record<string, unknown>,
    options?: CallOptions,
  ): Promise<unknown>;
  /** `call("query", ...)`. */
  query(functionPath: string, args: Record<string, unknown>, options?: CallOptions): Promise<unknown>;
}

/** How calls of a kind may be repeated or shared. Only reads are shared and cached. */
interface CallPolicy {
  share: boolean;
  retry: boolean;
}

function policyFor(kind: FunctionKind, idempotent: boolean | undefined): CallPolicy {
  return kind === "query" ? { share: true, retry: true } : { share: false, retry: idempotent === true };
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

  function classify(error: unknown, functionPath: string, resource: ResourceRef | undefined): Failure {
    if (error instanceof ToolFailure) return error.failure;
    return classifyBackendError(error, { url, functionPath, timeoutMs: limits.timeoutMs, resource });
  }

  /** One capped request, retried when the policy allows it. */
  function attempts(
    request: CallRequest,
    policy: CallPolicy,
    signal: CancelSignal,
    deadlineAt: () => number,
  ): Promise<Answer> {
    return withRetries(
      async () => {
        const release = await runtime.limiter.acquire(signal);
        try {
          return await callOnce({
            url,
            token: request.token,
            kind: request.kind,
            functionPath: request.functionPath,
            args: request.args,
            signal,
            fetch: runtime.fetch,
            maxResponseBytes: limits.maxResponseBytes,
          });
        } finally {
          release();
        }
      },
      {
        policy: policy.retry ? limits.retry : { ...limits.retry, maxAttempts: 1 },
        clock,
        signal,
        deadlineAt,
        classify: (error) => classify(error, request.functionPath, request.resource),
        onRetry: (failure, attempt, delayMs) =>
          log("info", `backend call failed (${failure.kind}); retry ${attempt} in ${delayMs} ms`),
      },
    );
  }

  /** A read: the cached answer, or one shared, retried, capped request for `token`. */
  async function sharedCall(request: CallRequest, signal: CancelSignal, deadlineAt: number): Promise<unknown> {
    const policy = policyFor(request.kind, request.idempotent);
    if (!policy.share) return (await attempts(request, policy, signal, () => deadlineAt)).value;
    const key = callKey(request.token, `${url} ${request.functionPath}`, request.args);
    const cached = runtime.cache.get(key);
    if (cached) return cached.value;
    const answer = await runtime.flights.run(key, signal, deadlineAt, async (flight) => {
      const result = await attempts(request, policy, flight.signal, flight.deadlineAt);
      runtime.cache.set(key, result.value, result.bytes);
      return result;
    });
    return answer.value;
  }

  async function call(
    kind: FunctionKind,
    functionPath: string,
    args: Record<string, unknown>,
    callOptions: CallOptions = {},
  ): Promise<unknown> {
    const deadlineAt = clock.now() + limits.timeoutMs;
    // One Cancel carries both the deadline and the client's cancellation (src/core/cancel.ts: an
    // AbortController costs ~5 µs on Node 20; AbortSignal.any ~30 µs, and keeps its sources alive).
    const deadline = new Cancel();
    const timer = setTimeout(() => deadline.abort(new DeadlineExceeded(limits.timeoutMs)), limits.timeoutMs);
    const cancel = callOptions.signal;
    const onCancel = () => deadline.abort(cancel?.reason);
    if (cancel?.aborted) onCancel();
    else cancel?.addEventListener("abort", onCancel, { once: true });
    const signal: CancelSignal = deadline;
    const { resource, idempotent } = callOptions;
    let waitingForToken = false;
    try {
      signal.throwIfAborted();
      waitingForToken = true;
      const token = tokens.fixed ?? (await untilAborted(tokens.get(), signal));
      waitingForToken = false;
      assertNotExpired(token);
      try {
        return await sharedCall({ token, kind, functionPath, args, resource, idempotent }, signal, deadlineAt);
      } catch (error) {
        if (signal.aborted || !(error instanceof ToolFailure) || !AUTH_REJECTIONS.has(error.failure.kind)) throw error;
        // Rejected: a refreshing source gets one chance to offer a newer token, then one retry.
        // Safe for writes too: a call refused for its token never ran.
        waitingForToken = true;
        const fresh = await untilAborted(tokens.afterRejection(token), signal);
        waitingForToken = false;
        if (fresh === undefined || fresh === token) throw error;
        assertNotExpired(fresh);
        return await sharedCall({ token: fresh, kind, functionPath, args, resource, idempotent }, signal, deadlineAt);
      }
    } catch (error) {
      if (signal.aborted) {
        const reason = signal.reason as { name?: string } | undefined;
        if (reason?.name !== "DeadlineExceeded") throw new ToolFailure({ kind: "cancelled" });
        // Nothing was sent if the deadline passed while the token source (a command, a file) was
        // still producing the token: say so, instead of blaming the deployment.
        throw new ToolFailure(
          waitingForToken && tokens.info.kind !== "env"
            ? { kind: "token_timeout", timeoutMs: limits.timeoutMs, source: tokens.info }
            : { kind: "timeout", url, timeoutMs: limits.timeoutMs },
        );
      }
      throw new ToolFailure(withSource(classify(error, functionPath, resource)));
    } finally {
      clearTimeout(timer);
      cancel?.removeEventListener("abort", onCancel);
    }
  }

  return {
    url,
    call,
    query: (functionPath, args, callOptions) => call("query", functionPath, args, callOptions),
  };
}

interface CallRequest {
  token: string;
  kind: FunctionKind;
  functionPath: string;
  args: Record<string, unknown>;
  resource?: ResourceRef;
  idempotent?: boolean;
}
