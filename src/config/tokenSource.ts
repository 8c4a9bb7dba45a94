/**
 * Where the user's Connvo token comes from, and what every source offers the backend client.
 * Three sources, one chosen by configuration (precedence in config.ts and the README):
 * CONNVO_TOKEN_COMMAND (tokenCommand.ts) > CONNVO_TOKEN_FILE (tokenFile.ts) > CONNVO_TOKEN (here).
 * HTTP callers who sign in per request bring their own token ("caller").
 */
import { decodeJwt } from "jose";
import type { TokenSourceInfo } from "../core/failures.js";
import { registerSecret } from "../core/log.js";

export type { TokenSourceInfo };

export interface TokenSource {
  readonly info: TokenSourceInfo;
  /** A token to use now; a refreshing source refreshes first when it is missing or expiring. Throws ToolFailure. */
  get(): Promise<string>;
  /**
   * After the backend rejected `rejected` (401): a different token to retry once with, or
   * undefined when this source has nothing newer to offer.
   */
  afterRejection(rejected: string): Promise<string | undefined>;
  /** A fixed source's token, without waiting a turn (absent for sources that may refresh). */
  readonly fixed?: string;
}

/** When the token expires, read without verifying it (the backend verifies; we only avoid a doomed call). */
export function tokenExpiry(token: string): number | undefined {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined; // not a JWT we can read: let the backend judge it
  }
}

/**
 * A fixed token: CONNVO_TOKEN, or the token an HTTP caller signed in with. Only the configured
 * one is registered for redaction here: the registry is a process-wide set that only grows, so
 * per-request caller tokens are left to the transport that received them.
 */
export function staticTokenSource(token: string, info: TokenSourceInfo = { kind: "env" }): TokenSource {
  if (info.kind !== "caller") registerSecret(token);
  return {
    info,
    fixed: token,
    get: () => Promise.resolve(token),
    afterRejection: () => Promise.resolve(undefined),
  };
}
