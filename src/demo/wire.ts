/**
 * Convex's wire texts and answers, as the demo deployment speaks them. The error texts copy the
 * real ones (sources noted next to each), because the MCP server's error handling is only as good
 * as the texts it was tested against.
 *
 * - `/api/query`, `/api/mutation`, `/api/action` as `ConvexHttpClient` calls them
 *   (`format: "convex_encoded_json"`, args in an array): a function failure answers 560 ("UDF
 *   failed"), which the client parses; any other non-2xx makes the client throw `Error(bodyText)`.
 * - `/api/run/<module path>/<function>` per Connvo's OpenAPI document (`{args, format: "json"}`):
 *   function failures answer 400 there.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

export const UDF_FAILED = 560; // convex/browser http_client.ts STATUS_CODE_UDF_FAILED

/** Request IDs look like Convex's: 16 hex digits. */
export const requestId = (): string => randomBytes(8).toString("hex");

/**
 * Every function failure's errorMessage starts like this (seen verbatim in ConvexHttpClient errors,
 * e.g. "[Request ID: c01a32a7928c94d8] Server Error\nCould not find public function for 'nope:missing'.\n").
 */
export const serverError = (text: string): string => `[Request ID: ${requestId()}] Server Error\n${text}`;

/**
 * Convex's Display of a value inside validator errors (values are shown as Convex values: floats
 * as `1.0`, objects with sorted, unquoted keys), e.g. `Object: {bogus: 1.0, id: "cn-1"}`.
 */
export function displayValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") return Number.isInteger(value) ? `${value}.0` : String(value);
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `[${value.map(displayValue).join(", ")}]`;
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${k}: ${displayValue(v)}`).join(", ")}}`;
  }
  return String(value);
}

/**
 * Validates the args object like Convex's `v.object({meetingId: v.id("meetings")})` and returns the
 * ArgumentValidationError text, or undefined. Texts are convex-backend
 * crates/common/src/schemas/validator.rs `ValidationError` Display impls; Convex ends the message
 * with a blank line ("...\nValidator: v.float64()\n\n" in captured ConvexHttpClient errors).
 * "[Request ID: …] Server Error\nUncaught ConvexError: <JSON>" plus a stack, as dev deployments
 * send it. The frames name the real functions that throw; their line numbers are illustrative.
 */
export const FRAMES = {
  unauthorized: [
    "requireIdentity (../convex/auth/guards.ts:46:11)",
    "async assertMeetingAccess (../convex/auth/guards.ts:101:21)",
  ],
  forbidden: ["assertMeetingAccess (../convex/auth/guards.ts:111:4)"],
  handler: [] as string[],
};
export function convexErrorMessage(
  data: Record<string, unknown>,
  frames: string[] = FRAMES.handler,
  handler = "../convex/meetings/webrtc/signaling.ts:297:4",
): string {
  const stack = [...frames, `async handler (${handler})`];
  return serverError(`Uncaught ConvexError: ${JSON.stringify(data)}\n${stack.map((f) => `    at ${f}\n`).join("")}`);
}

/** Connvo's createError helpers (convex/lib/errors.ts) as used by assertMeetingAccess. */
export const CONNVO_ERRORS = {
  unauthorized: () => ({ code: "UNAUTHORIZED", message: "Authentication required", statusCode: 401 }),
  forbidden: (meetingId: string, userId: string) => ({
    code: "FORBIDDEN",
    message: "Access denied: Not a meeting participant",
    statusCode: 403,
    metadata: { meetingId, userId },
  }),
  meetingNotFound: (meetingId: string) => ({
    code: "MEETING_NOT_FOUND",
    message: "Meeting not found",
    statusCode: 404,
    metadata: { meetingId },
  }),
};

/** HTTP-level errors are `{code, message}` (ErrorMetadata short_msg and msg). */
export const AUTH = {
  // convex-backend crates/authentication: extract_bearer_token / validate_id_token.
  notBearer: "Header must begin with `bearer `",
  unparseable: "Could not parse JWT payload",
  missingIssuer: "Missing issuer in JWT payload",
  missingAudience: "Missing audience in JWT payload",
  noProvider: "No auth provider found matching the given token",
  badSignature: "Could not decode token",
  // Seen in production logs: "InvalidAuthHeader: Could not validate token: Token expired 81 seconds ago".
  expired: (seconds: number) => `Could not validate token: Token expired ${seconds} seconds ago`,
};

/**
 * The answer when a function waits too long for a permit. convex-backend raises
 * ErrorMetadata::rate_limited("TooManyConcurrentRequests", ...) and rate_limited maps to HTTP 429;
 * the message below is the one users have captured from Convex Cloud (with "queries", the plural
 * newer backends print). Older backends used overloaded (503) "Too many concurrent requests,
 * backoff and try again." — 429 is the current, best-supported form.
 */
export const concurrencyLimitBody = (limit: number) =>
  JSON.stringify({
    code: "TooManyConcurrentRequests",
    message: `Too many concurrent requests. Your backend is limited to ${limit} concurrent queries. To get more resources, upgrade to Convex Pro. If you are already on Convex Pro, please contact support.`,
  });

/** Default bodies for injected statuses: Convex's own for 500/503, a proxy's plain text otherwise. */
export const STATUS_BODIES: Record<number, { type: string; body: string }> = {
  // errors crate: INTERNAL_SERVER_ERROR / INTERNAL_SERVER_ERROR_MSG
  500: {
    type: "application/json",
    body: JSON.stringify({
      code: "InternalServerError",
      message: "Your request couldn't be completed. Try again later.",
    }),
  },
  // errors crate: ErrorMetadata::service_unavailable()
  503: {
    type: "application/json",
    body: JSON.stringify({ code: "ServiceUnavailable", message: "Service temporarily unavailable" }),
  },
  502: { type: "text/plain", body: "502 Bad Gateway" },
  504: { type: "text/plain", body: "504 Gateway Timeout" },
  429: { type: "application/json", body: concurrencyLimitBody(16) },
};

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

/** Which surface a call came in on: the kind endpoints, or the OpenAPI `/api/run` route. */
export type Route = "query" | "mutation" | "action" | "run";

/** What a function call produced, before it is written in the route's dialect. */
export type Outcome =
  | { kind: "success"; value: unknown }
  | { kind: "udfError"; errorMessage: string; errorData?: Record<string, unknown> }
  | { kind: "http"; status: number; code: string; message: string };

export function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

export function sendOutcome(res: ServerResponse, route: Route, outcome: Outcome): void {
  switch (outcome.kind) {
    case "success":
      send(res, 200, JSON.stringify({ status: "success", value: outcome.value, logLines: [] }));
      return;
    case "udfError": {
      const body: Record<string, unknown> = { status: "error", errorMessage: outcome.errorMessage };
      if (outcome.errorData !== undefined) body.errorData = outcome.errorData;
      body.logLines = [];
      // The kind endpoints: 560, which ConvexHttpClient parses. /api/run: 400 per the OpenAPI document.
      send(res, route === "run" ? 400 : UDF_FAILED, JSON.stringify(body));
      return;
    }
    case "http":
      send(res, outcome.status, JSON.stringify({ code: outcome.code, message: outcome.message }));
      return;
  }
}

export class BodyTooLarge extends Error {}

export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      if (tooLarge) return; // keep draining so the 413 can be read by the client
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (!tooLarge) resolve(Buffer.concat(chunks).toString("utf8"));
    });
    req.on("error", reject);
  });
}

export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
