/**
 * Every way a tool call can fail, as data. Layers below (configuration, the Convex client, input
 * checks) throw a `ToolFailure`; `failureMessage` is the ONE place that turns a failure into the
 * fixed, actionable wording an agent sees. Backend-supplied text is never passed through raw.
 */
import type { ConfigProblem } from "../config/config.js";
import { redact } from "../log.js";
import { sanitizeText } from "../summary/sanitize.js";

export type Failure =
  | { kind: "config"; problems: ConfigProblem[] }
  | { kind: "invalid_meeting_id"; reason: string }
  | { kind: "token_expired"; detail?: string }
  | { kind: "token_invalid"; detail?: string }
  | { kind: "unauthorized" }
  | { kind: "forbidden"; meetingId: string }
  | { kind: "not_found"; meetingId: string }
  | { kind: "rate_limited"; retryAfterSec?: number }
  | { kind: "backend_validation"; detail?: string }
  | { kind: "unavailable"; status: number; url: string }
  | { kind: "unreachable"; url: string; cause: string }
  | { kind: "timeout"; url: string; timeoutMs: number }
  | { kind: "cancelled" }
  | { kind: "bad_response"; url: string; what: string }
  | { kind: "function_missing"; url: string; functionPath: string }
  | { kind: "backend_error"; url: string; status?: number; code?: string }
  | { kind: "internal" };

export type FailureKind = Failure["kind"];

export class ToolFailure extends Error {
  constructor(readonly failure: Failure) {
    super(failure.kind);
    this.name = "ToolFailure";
  }
}

/** Backend-controlled text: strip controls, cap, and quote it so it reads as data. */
function quoted(text: string | undefined, max = 160): string {
  return text ? ` (backend said: "${sanitizeText(redact(text), max)}")` : "";
}

const REFRESH_TOKEN =
  "Sign in to Connvo again to get a fresh access token, put it in CONNVO_TOKEN in the MCP server's configuration, and restart the server.";

export function failureMessage(f: Failure): string {
  switch (f.kind) {
    case "config":
      return `connvo-mcp is not configured: ${f.problems.map((p) => p.message).join(" ")}`;
    case "invalid_meeting_id":
      return `meetingId is not a Connvo meeting ID: it ${f.reason}. A meeting ID is a Convex document ID from the "meetings" table: 31-37 lowercase letters and digits (no i, l, o or u), for example as found in a Connvo meeting URL. No request was sent.`;
    case "token_expired":
      return `Connvo rejected the access token because it has expired${f.detail ? ` (${sanitizeText(f.detail, 80)})` : ""}. ${REFRESH_TOKEN}`;
    case "token_invalid":
      return `Connvo could not validate the access token${quoted(f.detail)}. Check that CONNVO_TOKEN holds the whole Connvo (WorkOS-issued) JWT for this deployment. ${REFRESH_TOKEN}`;
    case "unauthorized":
      return `Connvo did not recognise a signed-in user for this call. Set CONNVO_TOKEN to your Connvo access token. ${REFRESH_TOKEN}`;
    case "forbidden":
      return `The signed-in Connvo user is not a participant of meeting ${f.meetingId}, so Connvo will not show its sessions. Ask the meeting's organiser to add the user, or use a token of a participant.`;
    case "not_found":
      return `No meeting ${f.meetingId} exists on this Connvo deployment. Check the meeting ID and that CONNVO_DEPLOYMENT (or CONNVO_CONVEX_URL) is the deployment the meeting lives on.`;
    case "rate_limited":
      return `Connvo is rate limiting requests right now. Wait ${f.retryAfterSec !== undefined ? `${f.retryAfterSec} s` : "a few seconds"} before calling again, and avoid calling in a tight loop.`;
    case "backend_validation":
      return `Connvo rejected the arguments${quoted(f.detail)}. Check that meetingId is the ID of a meeting (table "meetings"), not of a user or a session.`;
    case "unavailable":
      return `Connvo's backend at ${f.url} is temporarily unavailable (HTTP ${f.status}). Try again in a little while.`;
    case "unreachable":
      return `Could not reach Connvo's backend at ${f.url} (${f.cause}). Check the network connection and that CONNVO_DEPLOYMENT or CONNVO_CONVEX_URL names a deployment that exists.`;
    case "timeout":
      return `Connvo's backend at ${f.url} did not answer within ${f.timeoutMs / 1000} s, so the call was abandoned. Try again; if it keeps happening, the deployment may be overloaded (CONNVO_TIMEOUT_MS sets the deadline).`;
    case "cancelled":
      return "The call was cancelled before Connvo answered.";
    case "bad_response":
      return `Connvo's backend at ${f.url} answered with something that is not what its OpenAPI document promises (${f.what}). This is a backend problem, not a problem with the arguments; try again later or report it to Connvo.`;
    case "function_missing":
      return `The deployment at ${f.url} has no public function ${f.functionPath}. Check that CONNVO_DEPLOYMENT or CONNVO_CONVEX_URL points at a Connvo deployment.`;
    case "backend_error":
      return `Connvo's backend at ${f.url} failed to answer${f.status ? ` (HTTP ${f.status})` : ""}${f.code ? ` (error code ${sanitizeText(f.code, 40)})` : ""}. Try again; if it persists, report it to Connvo.`;
    case "internal":
      return "connvo-mcp hit an internal error while handling this call. The server is still running; try again, and report it if it repeats.";
  }
}
