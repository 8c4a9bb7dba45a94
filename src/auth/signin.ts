/**
 * The stdio server's token source when no other is configured: the sign-in `connvo-mcp login`
 * stored. It keeps the access token in memory only and refreshes it before it expires (within a
 * minute of `exp`), and once when Connvo rejects it. Concurrent calls share one refresh. A
 * rotated refresh token is written back atomically. The file is read again before every refresh,
 * so a `connvo-mcp login` in a terminal (or another server that rotated the token) is picked up
 * without a restart.
 *
 * When the issuer refuses the refresh token (revoked, expired, signed out elsewhere), every call
 * answers "run connvo-mcp login" (a `signed_out` failure, isError) and the server keeps serving.
 */

import type { TokenSource } from "../config/tokenSource.js";
import { ToolFailure } from "../core/failures.js";
import { log, registerSecret } from "../core/log.js";
import { refreshTokens } from "./device.js";
import type { FetchLike } from "./net.js";
import { readSignIn, type StoredSignIn, writeSignIn } from "./store.js";

export const REFRESH_BEFORE_MS = 60_000;

export interface SignInSourceOptions {
  fetch?: FetchLike;
  now?: () => number;
  timeoutMs?: number;
}

export interface SignInTokenSource extends TokenSource {
  /** Refreshes made since start (requests sent to the token endpoint). */
  readonly refreshes: number;
}

const JWT_SHAPED = /^eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*$/;

export function signInTokenSource(path: string, options: SignInSourceOptions = {}): SignInTokenSource {
  const now = options.now ?? Date.now;
  const info = { kind: "signin", path } as const;
  let access: { token: string; expiresAt: number | undefined } | undefined;
  let refreshing: Promise<string> | undefined;
  let refreshes = 0;

  const signedOut = (reason: "missing" | "revoked") => new ToolFailure({ kind: "signed_out", reason, path });

  async function stored(): Promise<StoredSignIn> {
    const read = await readSignIn(path);
    if (read.kind === "ok") return read.signIn;
    if (read.kind === "unreadable") log("warn", `the stored sign-in ${path} cannot be used (${read.detail})`);
    throw signedOut("missing");
  }

  async function refreshOnce(): Promise<string> {
    let signIn = await stored();
    for (let attempt = 0; ; attempt++) {
      refreshes += 1;
      const outcome = await refreshTokens(
        signIn.tokenUrl,
        { clientId: signIn.clientId, refreshToken: signIn.refreshToken },
        { fetch: options.fetch, now, timeoutMs: options.timeoutMs },
      );
      if (outcome.ok) {
        const { tokens } = outcome;
        // An opaque access token is registered for redaction; a JWT is caught by its shape.
        if (!JWT_SHAPED.test(tokens.accessToken)) registerSecret(tokens.accessToken);
        access = { token: tokens.accessToken, expiresAt: tokens.accessExpiresAt };
        if (tokens.refreshToken && tokens.refreshToken !== signIn.refreshToken) {
          // Rotated: store the new one atomically, keeping whatever else the file says now.
          const latest = await readSignIn(path);
          const base = latest.kind === "ok" ? latest.signIn : signIn;
          await writeSignIn(path, {
            ...base,
            refreshToken: tokens.refreshToken,
            ...(tokens.refreshExpiresAt ? { sessionEndsAt: new Date(tokens.refreshExpiresAt).toISOString() } : {}),
          });
        }
        return tokens.accessToken;
      }
      if (outcome.problem === "revoked") {
        // Another connvo-mcp may have rotated the token in between: use the file's newer one once.
        const again = await readSignIn(path);
        if (attempt === 0 && again.kind === "ok" && again.signIn.refreshToken !== signIn.refreshToken) {
          signIn = again.signIn;
          continue;
        }
        access = undefined;
        log(
          "warn",
          "the stored Connvo sign-in was refused by the sign-in service; run `connvo-mcp login` to sign in again",
        );
        throw signedOut("revoked");
      }
      // The sign-in service is down: the current token still works until it expires.
      if (access && (access.expiresAt === undefined || access.expiresAt > now())) return access.token;
      throw new ToolFailure({
        kind: "auth_server",
        during: "refresh",
        problem: outcome.problem,
        url: signIn.tokenUrl,
        ...(outcome.status !== undefined ? { status: outcome.status } : {}),
        ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      });
    }
  }

  function refresh(): Promise<string> {
    refreshing ??= refreshOnce().finally(() => {
      refreshing = undefined;
    });
    return refreshing;
  }

  return {
    info,
    get() {
      if (access && (access.expiresAt === undefined || access.expiresAt - REFRESH_BEFORE_MS > now())) {
        return Promise.resolve(access.token);
      }
      return refresh();
    },
    async afterRejection(rejected) {
      if (access?.token === rejected) access = undefined;
      const fresh = await refresh();
      return fresh === rejected ? undefined : fresh;
    },
    get refreshes() {
      return refreshes;
    },
  };
}
