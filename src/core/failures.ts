/**
 * Every way a call can fail, as data: the bottom layer's vocabulary. Layers above throw a
 * `ToolFailure` carrying one of these; src/present/failureText.ts is the ONE place that turns a
 * failure into the fixed, actionable wording an agent sees. Kinds are generic: a failure names the
 * resource it is about (a table and an ID), never a particular tool's argument.
 */

/** A document a failure is about: `{ table: "meetings", id: "..." }`. */
export interface ResourceRef {
  table: string;
  id: string;
}

/** A settings problem found while loading configuration. The config layer owns its wording. */
export interface ConfigProblem {
  /** The variable (or flag) the user has to change. */
  variable: string;
  /** What is wrong and exactly how to fix it. Never contains a secret. */
  message: string;
}

/** Which source a token came from, for messages that say how to refresh it. No secrets. */
export type TokenSourceInfo =
  | { kind: "env" }
  | { kind: "file"; path: string }
  | { kind: "command" }
  | { kind: "caller" }
  /** The sign-in `connvo-mcp login` stored (a refresh token in `path`). */
  | { kind: "signin"; path: string }
  /** A token exchanged (RFC 8693) for an HTTP user who signed in with OAuth. */
  | { kind: "oauth" };

export type TokenFileProblem = "missing" | "unreadable" | "not_a_file" | "empty" | "too_large" | "not_a_token";
export type TokenCommandProblem = "failed" | "killed" | "timeout" | "empty" | "not_a_token" | "spawn";

export type Failure =
  | { kind: "config"; problems: ConfigProblem[] }
  /** An argument that must be a Convex document ID of `table` is not one. No request was sent. */
  | { kind: "invalid_id"; argument: string; table: string; reason: string }
  /** An MCP-side argument is unusable (checked before any request). `problem` is our own wording. */
  | { kind: "invalid_argument"; argument: string; problem: string }
  | { kind: "token_expired"; detail?: string; source?: TokenSourceInfo }
  | { kind: "token_invalid"; detail?: string; source?: TokenSourceInfo }
  | { kind: "unauthorized"; source?: TokenSourceInfo }
  /** Our own check of the JWT's `exp`, before any request. */
  | { kind: "token_expired_local"; expiredAt: number; now: number; source: TokenSourceInfo }
  | { kind: "token_file"; path: string; problem: TokenFileProblem; code?: string }
  | {
      kind: "token_command";
      problem: TokenCommandProblem;
      exitCode?: number;
      signal?: string;
      stderr?: string;
      timeoutMs?: number;
      code?: string;
    }
  | { kind: "forbidden"; resource?: ResourceRef }
  | { kind: "not_found"; resource?: ResourceRef }
  /** A write lost a race with another writer (e.g. a notes version conflict) even after one re-read. */
  | { kind: "conflict"; resource?: ResourceRef; detail?: string }
  | { kind: "rate_limited"; retryAfterSec?: number; attempts?: number }
  | { kind: "backend_validation"; detail?: string }
  | { kind: "unavailable"; status: number; url: string; retryAfterSec?: number; attempts?: number }
  /** `transient`: worth retrying (refused, reset, ...), unlike a name that does not resolve. */
  | { kind: "unreachable"; url: string; cause: string; transient?: boolean; attempts?: number }
  | { kind: "response_too_large"; url: string; limitBytes: number }
  | { kind: "timeout"; url: string; timeoutMs: number }
  | { kind: "cancelled" }
  | { kind: "bad_response"; url: string; what: string }
  | { kind: "function_missing"; url: string; functionPath: string }
  /** The function ran and threw on Connvo's side (not the caller's fault), e.g. a return validator. */
  | { kind: "function_failed"; url: string; functionPath: string; detail?: string }
  | { kind: "backend_error"; url: string; status?: number; code?: string }
  /** The deployment answered with an HTTP redirect. Not followed (the bearer token would go along) and not retried. */
  | { kind: "redirected"; url: string }
  /**
   * The token cannot travel in an Authorization header: a control character or line break, or a
   * character outside printable ASCII, at `position` (0-based). No request was sent.
   */
  | { kind: "token_unsendable"; problem: "control" | "non_ascii"; position: number; codePoint: number }
  /** The token is still the placeholder of an example configuration ("<your Connvo access token>"). No request was sent. */
  | { kind: "token_placeholder" }
  /**
   * The call's deadline passed while connvo-mcp was still getting a token (a CONNVO_TOKEN_COMMAND
   * that hangs): nothing was sent to the backend.
   */
  | { kind: "token_timeout"; timeoutMs: number; source: TokenSourceInfo }
  /**
   * No usable `connvo-mcp login` sign-in: none stored (`missing`), or the authorization server
   * refused its refresh token (`revoked`: revoked, expired or used up). The server keeps serving.
   */
  | { kind: "signed_out"; reason: "missing" | "revoked"; path: string }
  /**
   * The authorization server did not give a token: while exchanging an HTTP user's token for a
   * Connvo one (`exchange`), or refreshing the stored sign-in (`refresh`). `unreachable` and
   * `unavailable` can clear up; `refused` means the user's sign-in is no longer good;
   * `misconfigured` is this server's client settings (an administrator's fix). `error` is the
   * OAuth error code it answered with, if any.
   */
  | {
      kind: "auth_server";
      during: "exchange" | "refresh";
      problem: "unreachable" | "unavailable" | "refused" | "misconfigured";
      url: string;
      status?: number;
      error?: string;
    }
  /** A cap of this server (live watches) is reached; nothing was started. */
  | { kind: "limit_reached"; what: "watches" | "callerWatches" | "meetings" | "callerMeetings"; limit: number }
  | { kind: "internal" };

export type FailureKind = Failure["kind"];

export class ToolFailure extends Error {
  constructor(readonly failure: Failure) {
    super(failure.kind);
    this.name = "ToolFailure";
  }
}
