/**
 * Calls Connvo's Convex deployment with `ConvexHttpClient`, adding what the client lacks:
 * a deadline (it has none), the HTTP status of failures (it throws only the body text), no
 * logging to stdout (its default logger uses console.log, fatal for stdio MCP), and one client
 * per call (it is stateful: an instance must never carry one user's token into another's call).
 */
import { ConvexHttpClient } from "convex/browser";
import { ToolFailure } from "../tools/failures.js";
import { classifyBackendError, HttpStatusError } from "./classify.js";

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

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
  token: string;
  timeoutMs: number;
  fetch?: FetchLike;
}

/** The reason a call's signal carries when its deadline passes (to tell it from a cancellation). */
export class DeadlineExceeded extends Error {
  constructor(readonly timeoutMs: number) {
    super(`deadline of ${timeoutMs} ms exceeded`);
    this.name = "DeadlineExceeded";
  }
}

const MAX_ERROR_BODY_BYTES = 8 * 1024;
const UDF_FAILED = 560; // Convex's status for a function that threw; the client parses its body.

/** Wraps fetch so non-2xx answers keep their status and Retry-After instead of becoming bare text. */
function statusPreservingFetch(inner: FetchLike, signal: AbortSignal): FetchLike {
  return async (input, init) => {
    const response = await inner(input, { ...init, signal });
    if (response.ok || response.status === UDF_FAILED) return response;
    const body = (await response.text()).slice(0, MAX_ERROR_BODY_BYTES);
    throw new HttpStatusError(response.status, body, response.headers.get("retry-after") ?? undefined);
  };
}

export function createConvexBackend(options: ConvexBackendOptions): ConvexBackend {
  const { url, token, timeoutMs } = options;
  const baseFetch: FetchLike = options.fetch ?? fetch;
  return {
    url,
    async query(functionPath, args, callOptions = {}) {
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(new DeadlineExceeded(timeoutMs)), timeoutMs);
      const signal = callOptions.signal ? AbortSignal.any([deadline.signal, callOptions.signal]) : deadline.signal;
      try {
        signal.throwIfAborted();
        const client = new ConvexHttpClient(url, {
          logger: false,
          skipConvexDeploymentUrlCheck: true,
          fetch: statusPreservingFetch(baseFetch, signal),
        });
        client.setAuth(token);
        // A function path string is a valid reference at runtime; the typed API is for codegen users.
        return await client.query(functionPath as never, args as never);
      } catch (error) {
        throw new ToolFailure(
          classifyBackendError(error, { url, functionPath, timeoutMs, args, aborted: signal.aborted ? signal.reason : undefined }),
        );
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
