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
  | { kind: "caller" };

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
  | { kind: "internal" };

export type FailureKind = Failure["kind"];

export class ToolFailure extends Error {
  constructor(readonly failure: Failure) {
    super(failure.kind);
    this.name = "ToolFailure";
  }
}
