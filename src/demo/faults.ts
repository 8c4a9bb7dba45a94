/**
 * Fault injection for the demo deployment: latency, hangs, resets, statuses, malformed or
 * oversized bodies, Connvo errors, server-side function failures. A fault matches calls by
 * function path and a subset of the args (`meetingId` is shorthand for `args.meetingId`), and
 * answers `times` of them (default: until cleared). Injected in-process or over `/_demo/faults`,
 * so a benchmark in another process can drive them.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { SessionRow } from "../convex/types.js";
import { DEMO_MEETINGS, makeSessions } from "./seed.js";
import {
  AUTH,
  concurrencyLimitBody,
  convexErrorMessage,
  isRecord,
  type Outcome,
  type Route,
  STATUS_BODIES,
  send,
  sendOutcome,
  serverError,
} from "./wire.js";

interface FaultMatch {
  /** How many matching requests this fault answers; default: until cleared. */
  times?: number;
  /** Only calls of this function (e.g. "meetings/queries:getMeeting"). */
  functionPath?: string;
  /** Only calls whose args contain these values. */
  args?: Record<string, unknown>;
  /** Shorthand for args.meetingId. */
  meetingId?: string;
}

export type DemoFault = FaultMatch &
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
    /** A function that throws on Connvo's side without ConvexError data (e.g. a return validator). */
    | { kind: "functionError"; message: string }
    /** A successful answer with exactly this value (shapes the world does not hold, e.g. rateLimited notes). */
    | { kind: "value"; value: unknown }
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
  "functionError",
  "value",
]);

export function faultMatches(fault: DemoFault, functionPath: string, args: unknown): boolean {
  if (fault.functionPath !== undefined && fault.functionPath !== functionPath) return false;
  const wanted = { ...fault.args, ...(fault.meetingId !== undefined ? { meetingId: fault.meetingId } : {}) };
  const given = isRecord(args) ? args : {};
  return Object.entries(wanted).every(([key, value]) => JSON.stringify(given[key]) === JSON.stringify(value));
}

/** Checks a fault posted over HTTP; returns an error message or undefined. */
export function checkFault(value: unknown): string | undefined {
  if (!isRecord(value)) return "a fault must be a JSON object";
  if (typeof value.kind !== "string" || !FAULT_KINDS.has(value.kind)) {
    return `unknown fault kind; expected one of ${[...FAULT_KINDS].join(", ")}`;
  }
  if (value.times !== undefined && typeof value.times !== "number") return "times must be a number";
  if (value.meetingId !== undefined && typeof value.meetingId !== "string") return "meetingId must be a string";
  if (value.functionPath !== undefined && typeof value.functionPath !== "string")
    return "functionPath must be a string";
  if (value.args !== undefined && !isRecord(value.args)) return "args must be an object";
  if (value.kind === "latency" && typeof value.ms !== "number") return "latency needs ms";
  if (value.kind === "status" && ![500, 502, 503, 504, 429].includes(value.status as number))
    return "status must be 500, 502, 503, 504 or 429";
  if (value.kind === "convexError" && (typeof value.code !== "string" || typeof value.message !== "string")) {
    return "convexError needs code and message";
  }
  if (value.kind === "functionError" && typeof value.message !== "string") return "functionError needs message";
  return undefined;
}

/** Resolves after `ms`, or rejects when `signal` aborts; never keeps the process alive by itself. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
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
    timer.unref();
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export interface FaultContext {
  route: Route;
  req: IncomingMessage;
  res: ServerResponse;
  /** Rows a sessions fault pretends the meeting has (the real ones when it is readable). */
  rows(): SessionRow[];
  meetingId: string | undefined;
  now: number;
  /** Aborted when the deployment closes. */
  lifetime: AbortSignal;
}

/** Answers with a fault. Returns false for "latency", which only delays the normal answer. */
export async function answerWithFault(fault: DemoFault, ctx: FaultContext): Promise<boolean> {
  const { res, route } = ctx;
  switch (fault.kind) {
    case "latency": {
      const gone = new AbortController();
      const onClose = () => gone.abort(new Error("client went away"));
      res.on("close", onClose);
      try {
        await sleep(fault.ms, AbortSignal.any([gone.signal, ctx.lifetime]));
      } finally {
        res.off("close", onClose);
      }
      return false;
    }
    case "status": {
      const preset = STATUS_BODIES[fault.status] as { type: string; body: string };
      const headers: Record<string, string> = { "Content-Type": fault.body !== undefined ? "text/plain" : preset.type };
      if (fault.retryAfter !== undefined) headers["Retry-After"] = fault.retryAfter;
      send(res, fault.status, fault.body ?? preset.body, headers);
      return true;
    }
    case "hang":
      // Headers are not sent: the client sees an accepted connection and nothing else, until it
      // aborts (res "close") or close() destroys the socket.
      ctx.req.socket.setTimeout(0);
      return true;
    case "malformed":
      send(res, 200, '{"status":"success","value":[{"_id":"');
      return true;
    case "wrongShape":
      send(res, 200, JSON.stringify({ status: "success", value: { not: "an array" }, logLines: [] }));
      return true;
    case "badRows":
      send(res, 200, JSON.stringify({ status: "success", value: badRowsFrom(ctx.rows()), logLines: [] }));
      return true;
    case "reset": {
      const body = JSON.stringify({ status: "success", value: ctx.rows(), logLines: [] });
      res.writeHead(200, { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(body)) });
      // Half the body, then the connection dies: the client has a 200 and a truncated stream.
      res.write(body.slice(0, Math.max(1, Math.floor(body.length / 2))), () => res.socket?.destroy());
      return true;
    }
    case "huge": {
      send(res, 200, hugeBody(fault, ctx.meetingId, ctx.now));
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
    case "functionError": {
      const outcome: Outcome = { kind: "udfError", errorMessage: serverError(`${fault.message}\n`) };
      sendOutcome(res, route, outcome);
      return true;
    }
    case "concurrencyLimit":
      send(res, 429, concurrencyLimitBody(fault.limit ?? 16));
      return true;
    case "value":
      sendOutcome(res, route, { kind: "success", value: fault.value === undefined ? null : fault.value });
      return true;
  }
}

function hugeBody(fault: Extract<DemoFault, { kind: "huge" }>, meetingId: string | undefined, now: number): string {
  const mid = meetingId ?? DEMO_MEETINGS.large.id;
  const build = (count: number) =>
    JSON.stringify({
      status: "success",
      value: makeSessions(count, now, { meetingId: mid, seed: "huge" }),
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
  return body;
}

// Bad rows: rows the response validator must reject, mixed with good ones.
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
