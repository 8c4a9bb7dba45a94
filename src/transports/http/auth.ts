/**
 * Who may call /mcp, and who they are.
 *
 * The identity seam, end to end:
 *   1. `authenticate(req)` (below) checks the request and returns an `AuthInfo` describing the
 *      verified caller, or a 401.
 *   2. The transport hands that `AuthInfo` to the SDK handler (`req.auth` → `toNodeHandler` →
 *      `createMcpHandler`), which passes it through, never derived from headers, to the tool
 *      handler's context as `ctx.http.authInfo`, in both protocol eras.
 *   3. `identifyHttpCaller(ctx)` (given to `createServerFactory` as `deps.identify`) turns it into
 *      a `CallerIdentity`.
 *   4. `backendFor(caller)` (src/convex/provider.ts) picks the Convex client for that caller.
 * Per-user sign-in only adds a verifier in step 1 that returns
 * `{ token: <the user's token>, extra: { caller: "user", subject } }` and a case in step 3; the
 * provider already gives `{ kind: "user" }` callers a client with their own token, and no tool changes.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { AuthInfo, ServerContext } from "@modelcontextprotocol/server";
import type { CallerIdentity } from "../../core/identity.js";
import { oauthCallerOf } from "./oauth.js";

export const REALM = "connvo-mcp";

/** `AuthInfo.clientId` for callers who presented the shared secret. */
const SHARED_SECRET_CLIENT = "connvo-mcp-shared-secret";

export type AuthOutcome =
  | { ok: true; authInfo?: AuthInfo }
  /** 503 (OAuth: the issuer's keys cannot be fetched) carries no challenge, and `headers` (Retry-After). */
  | { ok: false; status: 401 | 503; wwwAuthenticate?: string; headers?: Record<string, string>; message: string };

const digest = (value: string): Buffer => createHash("sha256").update(value, "utf8").digest();

/**
 * Builds the check for every /mcp request. With no secret configured (loopback only, enforced by
 * the config) every request passes with no AuthInfo, which identifies as the local user.
 */
export function createAuthenticator(secret: string | undefined): (headers: IncomingHttpHeaders) => AuthOutcome {
  if (secret === undefined) return () => ({ ok: true });
  // Comparing fixed-length digests keeps timingSafeEqual from throwing on a length mismatch and
  // keeps the secret's length from leaking through timing.
  const expected = digest(secret);
  return (headers) => {
    const presented = bearerToken(headers.authorization);
    if (presented === undefined) {
      // RFC 6750 §3.1: no error code when the request carried no credentials.
      return {
        ok: false,
        status: 401,
        wwwAuthenticate: `Bearer realm="${REALM}"`,
        message: "This server needs an Authorization: Bearer header with its access token.",
      };
    }
    if (!timingSafeEqual(digest(presented), expected)) {
      return {
        ok: false,
        status: 401,
        wwwAuthenticate: `Bearer realm="${REALM}", error="invalid_token", error_description="The access token is not valid for this server"`,
        message: "The bearer token is not valid for this server.",
      };
    }
    return {
      ok: true,
      authInfo: { token: presented, clientId: SHARED_SECRET_CLIENT, scopes: [], extra: { caller: "shared-secret" } },
    };
  };
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer +([^\s]+) *$/i.exec(header ?? "");
  return match?.[1];
}

/**
 * `deps.identify` for HTTP. No AuthInfo only happens in the no-auth (loopback) setup. An AuthInfo
 * this code does not recognise throws (an internal error for that call) instead of falling back to
 * the server's own credentials: fail closed.
 */
export function identifyHttpCaller(ctx: ServerContext): CallerIdentity {
  const authInfo = ctx.http?.authInfo;
  if (authInfo === undefined) return { kind: "local" };
  if (authInfo.clientId === SHARED_SECRET_CLIENT && authInfo.extra?.caller === "shared-secret") {
    return { kind: "shared-secret" };
  }
  // A user whose OAuth token src/transports/http/oauth.ts verified.
  const user = oauthCallerOf(authInfo);
  if (user) return user;
  throw new Error("unrecognised caller identity on an HTTP request");
}
