/**
 * A local stand-in for Connvo's Convex deployment that serves exactly one function,
 * `meetings/webrtc/index:getActiveSessions`, over Convex's two HTTP surfaces:
 *
 * - `POST /api/query` as `ConvexHttpClient` calls it (`format: "convex_encoded_json"`, args in an
 *   array). Function failures answer 560 ("UDF failed"), which the client parses; any other non-2xx
 *   makes the client throw `Error(bodyText)`.
 * - `POST /api/run/meetings/webrtc/index/getActiveSessions` per Connvo's OpenAPI document
 *   (`{args, format: "json"}`); function failures answer 400 there.
 *
 * The error texts copy the real ones (sources noted next to each), because the MCP server's error
 * handling is only as good as the texts it was tested against. Faults (latency, hangs, resets,
 * malformed bodies, ...) can be injected in-process or over HTTP (`/_demo/faults`) so benchmarks in
 * another process can drive them.
 *
 * It never writes to stdout or stderr: inside a stdio MCP server stdout is the protocol channel.
 * The only output is the optional `log` callback.
 */

import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { decodeConvexId } from "../convex/ids.js";
import type { SessionRow } from "../convex/types.js";
import {
  DEMO_MEETINGS,
  DEMO_TOKEN,
  DEMO_TOKEN_CLAIMS,
  DEMO_USER_ID,
  type DemoMeeting,
  type DemoMeetingName,
  makeSessions,
  TABLE_NUMBERS,
} from "./seed.js";

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

interface FaultBase {
  /** How many matching requests this fault answers; default: until cleared. */
  times?: number;
  /** Only match requests for this meetingId. */
  meetingId?: string;
}

export type DemoFault = FaultBase &
  (
    | { kind: "latency"; ms: number }
    | { kind: "status"; status: 500 | 502 | 503 | 504 | 429; body?: string; retryAfter?: string }
    | { kind: "hang" }
    | { kind: "malformed" }
    | { kind: "wrongShape" }
    | { kind: "badRows" }
    | { kind: "reset" }
    | { kind: "huge"; sessions?: number; bytes?: number }
    | { kind: "unauthorizedExpired"; secondsAgo?: number }
    | { kind: "convexError"; code: string; message: string; data?: Record<string, unknown> }
    | { kind: "concurrencyLimit"; limit?: number }
  );
export type DemoFaultKind = DemoFault["kind"];

const FAULT_KINDS: ReadonlySet<string> = new Set<DemoFaultKind>([
  "latency",
  "status",
  "hang",
  "malformed",
  "wrongShape",
  "badRows",
  "reset",
  "huge",
  "unauthorizedExpired",
  "convexError",
  "concurrencyLimit",
]);

export interface DemoStats {
  /** HTTP requests other than the /_demo control routes. */
  requests: number;
  /** Function calls (/api/query and /api/run/...). */
  queryRequests: number;
  /** Function calls by the meetingId argument they carried. */
  byMeeting: Record<string, number>;
  /** Most function calls in flight at once since start / resetStats(). */
  maxConcurrent: number;
  inFlight: number;
}

export interface DemoDeploymentOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Bearer tokens accepted as the demo user; default [DEMO_TOKEN]. */
  tokens?: string[];
  /** Clock for row timestamps and token expiry; default Date.now. */
  now?: () => number;
  /** More meetings by name (e.g. benchmark sizes); they override built-ins of the same name. */
  extraMeetings?: Record<string, DemoMeeting>;
  /**
   * How a well-formed meetings ID that is not a demo meeting fails. Default "notFound":
   * MEETING_NOT_FOUND, so clients can show that case. Connvo's real query today checks only
   * participation (assertMeetingAccess, no meeting lookup), so the real backend answers FORBIDDEN;
   * "forbidden" reproduces that exactly.
   */
  unknownMeeting?: "forbidden" | "notFound";
  /** Request bodies above this answer 413; default 1 MiB. */
  maxBodyBytes?: number;
  /** The only output channel: one line per request. Never stdout. */
  log?: (line: string) => void;
}

export interface DemoDeployment {
  /** http://HOST:PORT, without a trailing slash. */
  url: string;
  /** The first accepted token. */
  token: string;
  /** Meeting name → meetingId. */
  meetings: { [K in DemoMeetingName]: string } & Record<string, string>;
  injectFault(fault: DemoFault): void;
  clearFaults(): void;
  /** Faults not yet used up, in order. */
  readonly faults: readonly DemoFault[];
  acceptToken(token: string): void;
  revokeToken(token: string): void;
  /** A snapshot of the counters. */
  readonly stats: DemoStats;
  resetStats(): void;
  /** Closes the server and every socket, hanging ones included. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Convex's wire texts
// ---------------------------------------------------------------------------------------------

export const FUNCTION_PATH = "meetings/webrtc/index:getActiveSessions";
const FUNCTION_PATHS = new Set([FUNCTION_PATH, "meetings/webrtc/index.js:getActiveSessions"]);
const RUN_PREFIX = "/api/run/";
const UDF_FAILED = 560; // convex/browser http_client.ts STATUS_CODE_UDF_FAILED
const TABLE_NAMES = new Map<number, string>(Object.entries(TABLE_NUMBERS).map(([name, n]) => [n, name]));
const ARGS_VALIDATOR = 'v.object({meetingId: v.id("meetings")})';

/** Request IDs look like Convex's: 16 hex digits. */
const requestId = (): string => randomBytes(8).toString("hex");

/**
 * Every function failure's errorMessage starts like this (seen verbatim in ConvexHttpClient errors,
 * e.g. "[Request ID: c01a32a7928c94d8] Server Error\nCould not find public function for 'nope:missing'.\n").
 */
const serverError = (text: string): string => `[Request ID: ${requestId()}] Server Error\n${text}`;

/**
 * Convex's Display of a value inside validator errors (values are shown as Convex values: floats
 * as `1.0`, objects with sorted, unquoted keys), e.g. `Object: {bogus: 1.0, id: "cn-1"}`.
 */
function displayValue(value: unknown): string {
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
 */
function validateArgs(args: unknown): string | undefined {
  let problem: string | undefined;
  if (args === null || typeof args !== "object" || Array.isArray(args)) {
    problem = `Value does not match validator.\n\nValue: ${displayValue(args)}\nValidator: ${ARGS_VALIDATOR}`;
  } else {
    const object = args as Record<string, unknown>;
    const extra = Object.keys(object)
      .sort()
      .find((k) => k !== "meetingId");
    if (!("meetingId" in object)) {
      problem =
        "Object is missing the required field `meetingId`. Consider wrapping the field validator in `v.optional(...)` if this is expected." +
        `\n\nObject: ${displayValue(object)}\nValidator: ${ARGS_VALIDATOR}`;
    } else if (extra !== undefined) {
      problem =
        `Object contains extra field \`${extra}\` that is not in the validator.` +
        `\n\nObject: ${displayValue(object)}\nValidator: ${ARGS_VALIDATOR}`;
    } else {
      problem = validateMeetingId(object.meetingId);
    }
  }
  return problem === undefined ? undefined : `ArgumentValidationError: ${problem}\n\n`;
}

function validateMeetingId(value: unknown): string | undefined {
  const decoded = typeof value === "string" ? decodeConvexId(value) : undefined;
  const table = decoded ? TABLE_NAMES.get(decoded.tableNumber) : undefined;
  // An ID of a table this deployment doesn't have fails like any other non-ID (validator.rs).
  if (table === undefined) {
    return `Value does not match validator.\nPath: .meetingId\nValue: ${displayValue(value)}\nValidator: v.id("meetings")`;
  }
  if (table !== "meetings") {
    // Note: no space before "Path:" — the Display impl appends the context directly.
    return `Found ID ${JSON.stringify(value)} from table \`${table}\`, which does not match the table name in validator \`v.id("meetings")\`.Path: .meetingId`;
  }
  return undefined;
}

/**
 * A ConvexError thrown by Connvo's code: errorData carries the data; the message is
 * "[Request ID: …] Server Error\nUncaught ConvexError: <JSON>" plus a stack, as dev deployments
 * send it. The frames name the real functions that throw; their line numbers are illustrative.
 */
const FRAMES = {
  unauthorized: [
    "requireIdentity (../convex/auth/guards.ts:46:11)",
    "async assertMeetingAccess (../convex/auth/guards.ts:101:21)",
  ],
  forbidden: ["assertMeetingAccess (../convex/auth/guards.ts:111:4)"],
  handler: [] as string[],
};
function convexErrorMessage(data: Record<string, unknown>, frames: string[] = FRAMES.handler): string {
  const stack = [...frames, "async handler (../convex/meetings/webrtc/signaling.ts:297:4)"];
  return serverError(`Uncaught ConvexError: ${JSON.stringify(data)}\n${stack.map((f) => `    at ${f}\n`).join("")}`);
}

/** Connvo's createError helpers (convex/lib/errors.ts) as used by assertMeetingAccess. */
const CONNVO_ERRORS = {
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
const AUTH = {
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
const concurrencyLimitBody = (limit: number) =>
  JSON.stringify({
    code: "TooManyConcurrentRequests",
    message: `Too many concurrent requests. Your backend is limited to ${limit} concurrent queries. To get more resources, upgrade to Convex Pro. If you are already on Convex Pro, please contact support.`,
  });

/** Default bodies for injected statuses: Convex's own for 500/503, a proxy's plain text otherwise. */
const STATUS_BODIES: Record<number, { type: string; body: string }> = {
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
// Auth
// ---------------------------------------------------------------------------------------------

type AuthResult =
  | { kind: "anonymous" }
  | { kind: "user"; userId: string }
  | { kind: "rejected"; code: "InvalidAuthHeader" | "NoAuthProvider"; message: string };

const reject = (message: string, code: "InvalidAuthHeader" | "NoAuthProvider" = "InvalidAuthHeader"): AuthResult => ({
  kind: "rejected",
  code,
  message,
});

function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const parts = token.split(".");
  if (parts.length !== 3 || !/^[A-Za-z0-9_-]+$/.test(parts[1] ?? "")) return undefined;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1] as string, "base64url").toString("utf8"));
    return payload && typeof payload === "object" && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Follows the real order: header shape, payload parse, issuer/audience present, a provider for
 * them, then expiry, then "signature" (here: is it one of the accepted tokens). Expiry is checked
 * before the signature so an expired copy of a real token reads as expired, which is what a
 * genuine-but-old token gets from Convex.
 */
function authenticate(header: string | undefined, accepted: ReadonlySet<string>, nowMs: number): AuthResult {
  if (header === undefined) return { kind: "anonymous" };
  if (header.length <= 7 || header.slice(0, 7).toLowerCase() !== "bearer ") return reject(AUTH.notBearer);
  const token = header.slice(7).trim();
  const payload = decodeJwtPayload(token);
  if (!payload) return reject(AUTH.unparseable);
  if (typeof payload.iss !== "string") return reject(AUTH.missingIssuer);
  const aud = payload.aud;
  if (!(typeof aud === "string" || (Array.isArray(aud) && aud.length > 0))) return reject(AUTH.missingAudience);
  const audiences = Array.isArray(aud) ? aud : [aud];
  if (payload.iss !== DEMO_TOKEN_CLAIMS.iss || !audiences.includes(DEMO_TOKEN_CLAIMS.aud)) {
    return reject(AUTH.noProvider, "NoAuthProvider");
  }
  if (typeof payload.exp === "number" && payload.exp * 1000 <= nowMs) {
    return reject(AUTH.expired(Math.max(0, Math.floor((nowMs - payload.exp * 1000) / 1000))));
  }
  if (!accepted.has(token)) return reject(AUTH.badSignature);
  return { kind: "user", userId: DEMO_USER_ID };
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

type Route = "query" | "run";

/** What a function call produced, before it is written in the route's dialect. */
type Outcome =
  | { kind: "success"; value: unknown }
  | { kind: "udfError"; errorMessage: string; errorData?: Record<string, unknown> }
  | { kind: "http"; status: number; code: string; message: string };

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

function sendOutcome(res: ServerResponse, route: Route, outcome: Outcome): void {
  switch (outcome.kind) {
    case "success":
      send(res, 200, JSON.stringify({ status: "success", value: outcome.value, logLines: [] }));
      return;
    case "udfError": {
      const body: Record<string, unknown> = { status: "error", errorMessage: outcome.errorMessage };
      if (outcome.errorData !== undefined) body.errorData = outcome.errorData;
      body.logLines = [];
      // /api/query: 560, which ConvexHttpClient parses. /api/run: 400 per the OpenAPI document.
      send(res, route === "query" ? UDF_FAILED : 400, JSON.stringify(body));
      return;
    }
    case "http":
      send(res, outcome.status, JSON.stringify({ code: outcome.code, message: outcome.message }));
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Bad rows (fault) — rows the response validator must reject, mixed with good ones
// ---------------------------------------------------------------------------------------------

function badRowsFrom(good: SessionRow[]): unknown[] {
  const base = good[0] ?? makeSessions(1, Date.now(), { seed: "bad-rows" })[0];
  const bad: unknown[] = [
    (({ _id, ...rest }) => rest)(base as SessionRow), // missing _id
    (({ user, ...rest }) => rest)(base as SessionRow), // missing user
    { ...base, state: "exploded" }, // state outside the enum
    { ...base, user: { displayName: "No Id" } }, // user without _id
    { ...base, createdAt: "yesterday" }, // wrong type
    "not even an object",
    null,
  ];
  const out: unknown[] = [];
  const rows = good.length > 0 ? good : [base];
  for (let i = 0; i < Math.max(rows.length, bad.length); i++) {
    if (i < rows.length) out.push(rows[i]);
    if (i < bad.length) out.push(bad[i]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
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

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Checks a fault posted over HTTP; returns an error message or undefined. */
function checkFault(value: unknown): string | undefined {
  if (!isRecord(value)) return "a fault must be a JSON object";
  if (typeof value.kind !== "string" || !FAULT_KINDS.has(value.kind)) {
    return `unknown fault kind; expected one of ${[...FAULT_KINDS].join(", ")}`;
  }
  if (value.times !== undefined && typeof value.times !== "number") return "times must be a number";
  if (value.meetingId !== undefined && typeof value.meetingId !== "string") return "meetingId must be a string";
  if (value.kind === "latency" && typeof value.ms !== "number") return "latency needs ms";
  if (value.kind === "status" && ![500, 502, 503, 504, 429].includes(value.status as number))
    return "status must be 500, 502, 503, 504 or 429";
  if (value.kind === "convexError" && (typeof value.code !== "string" || typeof value.message !== "string")) {
    return "convexError needs code and message";
  }
  return undefined;
}

/** Resolves after `ms`, or rejects when `signal` aborts; never keeps the process alive by itself. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export async function startDemoDeployment(opts: DemoDeploymentOptions = {}): Promise<DemoDeployment> {
  const now = opts.now ?? Date.now;
  const host = opts.host ?? "127.0.0.1";
  const maxBodyBytes = opts.maxBodyBytes ?? 1024 * 1024;
  const log = opts.log;
  const accepted = new Set(opts.tokens ?? [DEMO_TOKEN]);
  const firstToken = opts.tokens?.[0] ?? DEMO_TOKEN;

  const meetingsByName: Record<string, DemoMeeting> = { ...DEMO_MEETINGS, ...opts.extraMeetings };
  const meetingsById = new Map<string, DemoMeeting>(Object.values(meetingsByName).map((m) => [m.id, m]));
  const meetingIds = Object.fromEntries(
    Object.entries(meetingsByName).map(([n, m]) => [n, m.id]),
  ) as DemoDeployment["meetings"];

  let faults: { fault: DemoFault; remaining: number }[] = [];
  const stats: DemoStats = { requests: 0, queryRequests: 0, byMeeting: {}, maxConcurrent: 0, inFlight: 0 };
  const sockets = new Set<Socket>();
  const lifetime = new AbortController(); // aborted by close(): ends latency sleeps and hangs

  function takeFault(meetingId: string | undefined): DemoFault | undefined {
    const index = faults.findIndex(
      (f) => f.remaining > 0 && (f.fault.meetingId === undefined || f.fault.meetingId === meetingId),
    );
    if (index < 0) return undefined;
    const entry = faults[index] as { fault: DemoFault; remaining: number };
    entry.remaining -= 1;
    if (entry.remaining <= 0) faults.splice(index, 1);
    return entry.fault;
  }

  /** Runs getActiveSessions itself: validation, auth inside the handler, participation. */
  function runFunction(path: string, args: unknown, auth: AuthResult): Outcome {
    if (!FUNCTION_PATHS.has(path)) {
      return { kind: "udfError", errorMessage: serverError(`Could not find public function for '${path}'.\n`) };
    }
    const argError = validateArgs(args);
    if (argError !== undefined) return { kind: "udfError", errorMessage: serverError(argError) };
    const meetingId = (args as { meetingId: string }).meetingId;
    if (auth.kind !== "user") {
      const data = CONNVO_ERRORS.unauthorized();
      return { kind: "udfError", errorMessage: convexErrorMessage(data, FRAMES.unauthorized), errorData: data };
    }
    const meeting = meetingsById.get(meetingId);
    if (meeting === undefined && opts.unknownMeeting !== "forbidden") {
      const data = CONNVO_ERRORS.meetingNotFound(meetingId);
      return { kind: "udfError", errorMessage: convexErrorMessage(data), errorData: data };
    }
    if (meeting === undefined || meeting.access === "forbidden") {
      const data = CONNVO_ERRORS.forbidden(meetingId, auth.userId);
      return { kind: "udfError", errorMessage: convexErrorMessage(data, FRAMES.forbidden), errorData: data };
    }
    return { kind: "success", value: meeting.sessions(now()) };
  }

  /** Rows a fault pretends the meeting has: the real ones when the meeting is readable. */
  function rowsFor(meetingId: string | undefined): SessionRow[] {
    const meeting = meetingId ? meetingsById.get(meetingId) : undefined;
    return (meeting?.access === "allowed" ? meeting : DEMO_MEETINGS.healthy).sessions(now());
  }

  /** Answers with a fault. Returns false for "latency", which only delays the normal answer. */
  async function answerWithFault(
    fault: DemoFault,
    route: Route,
    meetingId: string | undefined,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<boolean> {
    switch (fault.kind) {
      case "latency": {
        const gone = new AbortController();
        const onClose = () => gone.abort(new Error("client went away"));
        res.on("close", onClose);
        try {
          await sleep(fault.ms, AbortSignal.any([gone.signal, lifetime.signal]));
        } finally {
          res.off("close", onClose);
        }
        return false;
      }
      case "status": {
        const preset = STATUS_BODIES[fault.status] as { type: string; body: string };
        const headers: Record<string, string> = {
          "Content-Type": fault.body !== undefined ? "text/plain" : preset.type,
        };
        if (fault.retryAfter !== undefined) headers["Retry-After"] = fault.retryAfter;
        send(res, fault.status, fault.body ?? preset.body, headers);
        return true;
      }
      case "hang":
        // Headers are not sent: the client sees an accepted connection and nothing else, until it
        // aborts (res "close") or close() destroys the socket.
        req.socket.setTimeout(0);
        return true;
      case "malformed":
        send(res, 200, '{"status":"success","value":[{"_id":"');
        return true;
      case "wrongShape":
        send(res, 200, JSON.stringify({ status: "success", value: { not: "an array" }, logLines: [] }));
        return true;
      case "badRows":
        send(res, 200, JSON.stringify({ status: "success", value: badRowsFrom(rowsFor(meetingId)), logLines: [] }));
        return true;
      case "reset": {
        const body = JSON.stringify({ status: "success", value: rowsFor(meetingId), logLines: [] });
        res.writeHead(200, { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(body)) });
        // Half the body, then the connection dies: the client has a 200 and a truncated stream.
        res.write(body.slice(0, Math.max(1, Math.floor(body.length / 2))), () => res.socket?.destroy());
        return true;
      }
      case "huge": {
        const mid = meetingId ?? DEMO_MEETINGS.large.id;
        const build = (count: number) =>
          JSON.stringify({
            status: "success",
            value: makeSessions(count, now(), { meetingId: mid, seed: "huge" }),
            logLines: [],
          });
        let body = build(fault.sessions ?? 20_000);
        if (fault.bytes !== undefined) {
          // Rows vary in size: estimate from a sample, then top up until the body is big enough.
          let count = Math.max(1, Math.ceil(fault.bytes / (build(100).length / 100)));
          body = build(count);
          while (body.length < fault.bytes) {
            count = Math.ceil(count * (fault.bytes / body.length) * 1.02) + 1;
            body = build(count);
          }
        }
        send(res, 200, body);
        return true;
      }
      case "unauthorizedExpired":
        sendOutcome(res, route, {
          kind: "http",
          status: 401,
          code: "InvalidAuthHeader",
          message: AUTH.expired(fault.secondsAgo ?? 8),
        });
        return true;
      case "convexError": {
        const data = { ...fault.data, code: fault.code, message: fault.message };
        sendOutcome(res, route, { kind: "udfError", errorMessage: convexErrorMessage(data), errorData: data });
        return true;
      }
      case "concurrencyLimit":
        send(res, 429, concurrencyLimitBody(fault.limit ?? 16));
        return true;
    }
  }

  async function handleFunctionCall(
    route: Route,
    req: IncomingMessage,
    res: ServerResponse,
    pathname: string,
  ): Promise<void> {
    stats.queryRequests += 1;
    stats.inFlight += 1;
    stats.maxConcurrent = Math.max(stats.maxConcurrent, stats.inFlight);
    res.once("close", () => {
      stats.inFlight -= 1;
    });

    const text = await readBody(req, maxBodyBytes);
    const parsed = parseJson(text);
    if (!parsed.ok || !isRecord(parsed.value)) {
      return sendOutcome(res, route, {
        kind: "http",
        status: 400,
        code: "BadJsonBody",
        message: "Failed to parse the request body as a JSON object",
      });
    }
    const body = parsed.value;
    let path: string;
    let args: unknown;
    if (route === "query") {
      if (typeof body.path !== "string") {
        return sendOutcome(res, route, {
          kind: "http",
          status: 400,
          code: "BadJsonBody",
          message: "Missing field `path`",
        });
      }
      path = body.path;
      // ConvexHttpClient sends `args: [argsObject]`; a bare object is accepted too.
      args = Array.isArray(body.args) ? (body.args.length === 0 ? {} : body.args[0]) : (body.args ?? {});
    } else {
      // /api/run/meetings/webrtc/index/getActiveSessions → meetings/webrtc/index:getActiveSessions
      let rest = pathname.slice(RUN_PREFIX.length);
      try {
        rest = decodeURIComponent(rest);
      } catch {
        // A malformed %-escape just makes an unknown function name below.
      }
      const segments = rest.split("/").filter(Boolean);
      const name = segments.pop() ?? "";
      path = `${segments.join("/")}:${name}`;
      args = body.args ?? {};
    }

    const meetingId = isRecord(args) && typeof args.meetingId === "string" ? args.meetingId : undefined;
    if (meetingId !== undefined) {
      // Keys are client input: keep them short so a stress run can't balloon the stats object.
      const key = meetingId.length > 64 ? `${meetingId.slice(0, 64)}…` : meetingId;
      stats.byMeeting[key] = (stats.byMeeting[key] ?? 0) + 1;
    }

    const fault = takeFault(meetingId);
    if (fault !== undefined && (await answerWithFault(fault, route, meetingId, req, res))) return;

    const auth = authenticate(req.headers.authorization, accepted, now());
    if (auth.kind === "rejected") {
      return sendOutcome(res, route, { kind: "http", status: 401, code: auth.code, message: auth.message });
    }
    sendOutcome(res, route, runFunction(path, args, auth));
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const method = req.method ?? "GET";
    if (pathname === "/_demo/health" && method === "GET") return send(res, 200, JSON.stringify({ status: "ok" }));
    if (pathname === "/_demo/stats" && method === "GET") return send(res, 200, JSON.stringify(deployment.stats));
    if (pathname === "/_demo/stats" && method === "DELETE") {
      deployment.resetStats();
      return send(res, 200, JSON.stringify({ ok: true }));
    }
    if (pathname === "/_demo/faults") {
      if (method === "GET") return send(res, 200, JSON.stringify({ faults: deployment.faults }));
      if (method === "DELETE") {
        deployment.clearFaults();
        return send(res, 200, JSON.stringify({ ok: true }));
      }
      if (method === "POST") {
        const parsed = parseJson(await readBody(req, maxBodyBytes));
        const list = parsed.ok ? (Array.isArray(parsed.value) ? parsed.value : [parsed.value]) : [undefined];
        for (const item of list) {
          const problem = checkFault(item);
          if (problem !== undefined) return send(res, 400, JSON.stringify({ code: "BadFault", message: problem }));
        }
        for (const item of list) deployment.injectFault(item as DemoFault);
        return send(res, 200, JSON.stringify({ ok: true, pending: faults.length }));
      }
    }
    return send(res, 404, JSON.stringify({ code: "NotFound", message: "Unknown demo control route" }));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = now();
    const pathname = (req.url ?? "/").split("?")[0] as string;
    if (log) res.once("finish", () => log(`${req.method} ${pathname} -> ${res.statusCode} (${now() - started} ms)`));
    try {
      if (pathname.startsWith("/_demo/")) return await handleControl(req, res, pathname);
      stats.requests += 1;
      const route: Route | undefined =
        pathname === "/api/query" ? "query" : pathname.startsWith(RUN_PREFIX) ? "run" : undefined;
      if (route === undefined) {
        return send(
          res,
          404,
          JSON.stringify({ code: "NotFound", message: `No route for ${req.method} ${pathname.slice(0, 200)}` }),
        );
      }
      if (req.method !== "POST") {
        return send(res, 405, JSON.stringify({ code: "MethodNotAllowed", message: "Use POST" }), { Allow: "POST" });
      }
      await handleFunctionCall(route, req, res, pathname);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        return send(
          res,
          413,
          JSON.stringify({ code: "PayloadTooLarge", message: `Request body exceeds ${maxBodyBytes} bytes` }),
          {
            Connection: "close",
          },
        );
      }
      if (lifetime.signal.aborted || res.destroyed) return; // closing, or the client left mid-latency
      send(res, 500, STATUS_BODIES[500]?.body ?? "");
      log?.(`demo deployment error: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  // Never let a client error (e.g. a reset mid-request) surface as an unhandled 'error' event.
  server.on("clientError", (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  const deployment: DemoDeployment = {
    url: `http://${urlHost}:${port}`,
    token: firstToken,
    meetings: meetingIds,
    injectFault(fault) {
      const remaining = fault.times ?? Number.POSITIVE_INFINITY;
      if (remaining > 0) faults.push({ fault: { ...fault }, remaining });
    },
    clearFaults() {
      faults = [];
    },
    get faults() {
      return faults.map(
        (f) => ({ ...f.fault, ...(Number.isFinite(f.remaining) ? { times: f.remaining } : {}) }) as DemoFault,
      );
    },
    acceptToken(token) {
      accepted.add(token);
    },
    revokeToken(token) {
      accepted.delete(token);
    },
    get stats() {
      return { ...stats, byMeeting: { ...stats.byMeeting } };
    },
    resetStats() {
      stats.requests = 0;
      stats.queryRequests = 0;
      stats.byMeeting = {};
      stats.maxConcurrent = stats.inFlight;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        lifetime.abort(new Error("demo deployment closed"));
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
  };
  return deployment;
}
