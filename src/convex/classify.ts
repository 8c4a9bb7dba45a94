/**
 * Turns whatever the Convex client, fetch or the network threw into a `Failure`. Only data is
 * extracted here (status, codes, a backend message); the wording lives in tools/failures.ts.
 */
import type { Failure } from "../tools/failures.js";

export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly retryAfter?: string,
  ) {
    super(`HTTP ${status}`);
    this.name = "HttpStatusError";
  }
}

export interface ClassifyContext {
  url: string;
  functionPath: string;
  timeoutMs: number;
  args: Record<string, unknown>;
  /** The signal's abort reason, when the call's signal was aborted. */
  aborted?: unknown;
}

/** `Retry-After` is seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host name not found",
  EAI_AGAIN: "DNS lookup failed",
  ECONNRESET: "connection reset",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "connection timed out",
  UND_ERR_SOCKET: "connection closed mid-response",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  CERT_HAS_EXPIRED: "TLS certificate expired",
  DEPTH_ZERO_SELF_SIGNED_CERT: "TLS certificate not trusted",
};

function networkCause(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && code in NETWORK_CODES) return NETWORK_CODES[code];
    current = (current as { cause?: unknown }).cause;
  }
  if (error instanceof TypeError && /fetch failed|terminated/i.test(error.message)) return "network error";
  return undefined;
}

function fromHttpStatus(error: HttpStatusError, ctx: ClassifyContext): Failure {
  const body = parseJsonObject(error.body);
  const message = typeof body?.message === "string" ? body.message : undefined;
  switch (true) {
    case error.status === 401: {
      // Convex: {"code":"InvalidAuthHeader","message":"Could not validate token: Token expired 8 seconds ago"}
      const detail = message?.replace(/^Could not validate token:\s*/i, "");
      return /expired/i.test(message ?? "") ? { kind: "token_expired", detail } : { kind: "token_invalid", detail };
    }
    case error.status === 404:
      return { kind: "function_missing", url: ctx.url, functionPath: ctx.functionPath };
    case error.status === 429:
      return { kind: "rate_limited", retryAfterSec: parseRetryAfter(error.retryAfter) };
    case error.status === 502 || error.status === 503 || error.status === 504:
      return { kind: "unavailable", status: error.status, url: ctx.url };
    default:
      return {
        kind: "backend_error",
        url: ctx.url,
        status: error.status,
        code: typeof body?.code === "string" ? body.code : undefined,
      };
  }
}

const CONVEX_ERROR_CODES: Record<string, Failure["kind"]> = {
  UNAUTHORIZED: "unauthorized",
  UNAUTHENTICATED: "unauthorized",
  FORBIDDEN: "forbidden",
  INSUFFICIENT_PERMISSIONS: "forbidden",
  NOT_FOUND: "not_found",
  MEETING_NOT_FOUND: "not_found",
  RATE_LIMIT_EXCEEDED: "rate_limited",
  VALIDATION_ERROR: "backend_validation",
};

/** Connvo throws `ConvexError({ code, message })`; the client exposes it as `error.data`. */
function fromConvexErrorData(data: unknown, ctx: ClassifyContext): Failure {
  const record = data && typeof data === "object" ? (data as Record<string, unknown>) : {};
  const code = typeof record.code === "string" ? record.code : typeof data === "string" ? data : undefined;
  const message = typeof record.message === "string" ? record.message : undefined;
  const meetingId = String(ctx.args.meetingId ?? "");
  switch (code ? CONVEX_ERROR_CODES[code] : undefined) {
    case "unauthorized":
      return { kind: "unauthorized" };
    case "forbidden":
      return { kind: "forbidden", meetingId };
    case "not_found":
      return { kind: "not_found", meetingId };
    case "rate_limited":
      return { kind: "rate_limited", retryAfterSec: typeof record.retryAfter === "number" ? Math.ceil(record.retryAfter / 1000) : undefined };
    case "backend_validation":
      return { kind: "backend_validation", detail: message };
    default:
      return { kind: "backend_error", url: ctx.url, code };
  }
}

export function classifyBackendError(error: unknown, ctx: ClassifyContext): Failure {
  if (ctx.aborted !== undefined) {
    const reason = ctx.aborted as { name?: string };
    return reason?.name === "DeadlineExceeded"
      ? { kind: "timeout", url: ctx.url, timeoutMs: ctx.timeoutMs }
      : { kind: "cancelled" };
  }
  if (error instanceof HttpStatusError) return fromHttpStatus(error, ctx);
  if (error && typeof error === "object" && "data" in error) return fromConvexErrorData(error.data, ctx);
  const cause = networkCause(error);
  if (cause) return { kind: "unreachable", url: ctx.url, cause };
  if (error instanceof SyntaxError) return { kind: "bad_response", url: ctx.url, what: "the body is not valid JSON" };
  const message = error instanceof Error ? error.message : "";
  if (/^Invalid response:/.test(message)) {
    return { kind: "bad_response", url: ctx.url, what: "the answer has no success or error status" };
  }
  // Convex: "[Request ID: …] Server Error\nArgumentValidationError: Value does not match validator. …"
  const validationLine = message.split("\n").find((line) => line.includes("ArgumentValidationError"));
  if (validationLine) return { kind: "backend_validation", detail: validationLine };
  if (/Could not find public function/i.test(message)) {
    return { kind: "function_missing", url: ctx.url, functionPath: ctx.functionPath };
  }
  return { kind: "backend_error", url: ctx.url };
}
