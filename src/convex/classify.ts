/**
 * Turns whatever the Convex client, fetch or the network threw into a `Failure`. Only data is
 * extracted here (status, codes, a backend message); the wording lives in present/failureText.ts.
 */
import type { Failure, ResourceRef } from "../core/failures.js";
import { ResponseTooLarge } from "./bodyLimit.js";

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
  /** The document the call is about, named by permission and not-found failures. */
  resource?: ResourceRef;
  /** The signal's abort reason, when the call's signal was aborted. */
  aborted?: unknown;
}

/** `Retry-After` is seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
  // Only a real HTTP date ("Wed, 21 Oct 2026 07:28:00 GMT"): Date.parse also accepts "-1" or "2".
  if (!/[a-z]/i.test(value)) return undefined;
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

/** Network error codes: what to tell the user, and whether trying again could help. */
const NETWORK_CODES: Record<string, { cause: string; transient: boolean }> = {
  ECONNREFUSED: { cause: "connection refused", transient: true },
  // A name that does not resolve will not resolve in 200 ms either; EAI_AGAIN is the temporary one.
  ENOTFOUND: { cause: "host name not found", transient: false },
  EAI_AGAIN: { cause: "DNS lookup failed", transient: true },
  ECONNRESET: { cause: "connection reset", transient: true },
  EPIPE: { cause: "connection reset", transient: true },
  EHOSTUNREACH: { cause: "host unreachable", transient: true },
  ENETUNREACH: { cause: "network unreachable", transient: true },
  ETIMEDOUT: { cause: "connection timed out", transient: true },
  UND_ERR_SOCKET: { cause: "connection closed mid-response", transient: true },
  UND_ERR_CONNECT_TIMEOUT: { cause: "connection timed out", transient: true },
  CERT_HAS_EXPIRED: { cause: "TLS certificate expired", transient: false },
  DEPTH_ZERO_SELF_SIGNED_CERT: { cause: "TLS certificate not trusted", transient: false },
  SELF_SIGNED_CERT_IN_CHAIN: { cause: "TLS certificate not trusted", transient: false },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: { cause: "TLS certificate not trusted", transient: false },
  ERR_TLS_CERT_ALTNAME_INVALID: { cause: "TLS certificate is for another host", transient: false },
};

/** fetch with `redirect: "error"` (attempt.ts) throws TypeError("fetch failed", { cause: Error("unexpected redirect") }). */
function isRedirect(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === "object"; depth++) {
    const message = (current as { message?: unknown }).message;
    if (typeof message === "string" && /unexpected redirect|redirect mode is set to error/i.test(message)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Convex's text for a function that threw on the deployment without ConvexError data, e.g. a
 * return value its validator rejects: "[Request ID: 1a2b…] Server Error\nReturnsValidationError: …".
 * The detail is what follows the first line ("Uncaught Error: …" and the like), if anything.
 */
const SERVER_ERROR = /^\[Request ID: [^\]\n]*\] Server Error(?:\r?\n([\s\S]*))?$/;

function networkCause(error: unknown): { cause: string; transient: boolean } | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === "object"; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && code in NETWORK_CODES) return NETWORK_CODES[code];
    current = (current as { cause?: unknown }).cause;
  }
  if (error instanceof TypeError && /fetch failed|terminated/i.test(error.message)) {
    return { cause: "network error", transient: true };
  }
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
      return {
        kind: "unavailable",
        status: error.status,
        url: ctx.url,
        retryAfterSec: parseRetryAfter(error.retryAfter),
      };
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
  CONFLICT: "conflict",
};

/** Connvo throws `ConvexError({ code, message })`; the client exposes it as `error.data`. */
function fromConvexErrorData(data: unknown, ctx: ClassifyContext): Failure {
  const record = data && typeof data === "object" ? (data as Record<string, unknown>) : {};
  const code = typeof record.code === "string" ? record.code : typeof data === "string" ? data : undefined;
  const message = typeof record.message === "string" ? record.message : undefined;
  switch (code ? CONVEX_ERROR_CODES[code] : undefined) {
    case "unauthorized":
      return { kind: "unauthorized" };
    case "forbidden":
      return { kind: "forbidden", resource: ctx.resource };
    case "not_found":
      return { kind: "not_found", resource: ctx.resource };
    case "conflict":
      return { kind: "conflict", resource: ctx.resource, detail: message };
    case "rate_limited":
      return {
        kind: "rate_limited",
        retryAfterSec: typeof record.retryAfter === "number" ? Math.ceil(record.retryAfter / 1000) : undefined,
      };
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
  if (error instanceof ResponseTooLarge)
    return { kind: "response_too_large", url: ctx.url, limitBytes: error.limitBytes };
  if (error && typeof error === "object" && "data" in error) return fromConvexErrorData(error.data, ctx);
  // Before the network causes: it arrives as the same "fetch failed" TypeError, but is not transient.
  if (isRedirect(error)) return { kind: "redirected", url: ctx.url };
  const network = networkCause(error);
  if (network) return { kind: "unreachable", url: ctx.url, ...network };
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
  const serverError = SERVER_ERROR.exec(message);
  if (serverError) {
    // Without the stack frames a dev deployment appends ("    at handler (../convex/x.ts:1:2)").
    const detail = serverError[1]
      ?.split("\n")
      .filter((line) => !/^\s+at /.test(line))
      .join("\n")
      .trim();
    return { kind: "function_failed", url: ctx.url, functionPath: ctx.functionPath, ...(detail ? { detail } : {}) };
  }
  return { kind: "backend_error", url: ctx.url };
}
