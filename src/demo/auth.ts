/**
 * The demo deployment's auth, in the order Convex checks a bearer token: header shape, payload
 * parse, issuer/audience present, a provider for them, then expiry, then the signature. Expiry is
 * checked before the signature so an expired copy of a real token reads as expired, which is what
 * a genuine-but-old token gets from Convex.
 *
 * Two kinds of provider:
 * - the built-in one (iss https://api.workos.com/, aud connvo-demo): its "signature" is an exact
 *   match with one of the accepted tokens (DEMO_TOKEN and whatever tests accept), and whose it is;
 * - JWT providers, the way Connvo's convex/auth.config.ts configures WorkOS (`customJwt`): a
 *   token is theirs when its issuer is the provider's and its audience includes the provider's
 *   applicationID; it must be RS256-signed by a key of the provider's JWKS (fetched on first use
 *   and again when a token names an unknown key id), and its `sub` is the user (the demo person
 *   of that key, src/demo/world/people.ts). A token meant for another audience (an MCP server's
 *   URL) finds no provider, exactly as Convex refuses it.
 */
import { createPublicKey, type KeyObject, verify as verifySignature } from "node:crypto";
import { DEMO_TOKEN_CLAIMS, userIdFor } from "./seed.js";
import { AUTH } from "./wire.js";

export type AuthResult =
  | { kind: "anonymous" }
  | { kind: "user"; userId: string }
  | { kind: "rejected"; code: "InvalidAuthHeader" | "NoAuthProvider"; message: string; unknownKey?: string };

/** A Convex `customJwt` auth provider (Connvo: WorkOS issuers, applicationID = the client ID). */
export interface JwtProvider {
  issuer: string;
  jwksUrl: string;
  applicationID: string;
}

/** The JWT providers and their keys (by JWKS URL, then kid), fetched on demand with a deadline. */
export interface JwtKeys {
  readonly providers: readonly JwtProvider[];
  key(jwksUrl: string, kid: string): KeyObject | undefined;
  /** Fetches the key set again (one fetch at a time per URL); failures leave the old keys. */
  refresh(jwksUrl: string): Promise<void>;
}

const JWKS_TIMEOUT_MS = 5000;

export function createJwtKeys(providers: readonly JwtProvider[] = []): JwtKeys {
  const sets = new Map<string, Map<string, KeyObject>>();
  const pending = new Map<string, Promise<void>>();
  async function load(url: string): Promise<void> {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(JWKS_TIMEOUT_MS), redirect: "manual" });
      if (response.status !== 200) return;
      const body = (await response.json()) as { keys?: unknown };
      const keys = new Map<string, KeyObject>();
      for (const jwk of Array.isArray(body.keys) ? body.keys : []) {
        if (!jwk || typeof jwk !== "object" || typeof jwk.kid !== "string" || jwk.kty !== "RSA") continue;
        try {
          keys.set(jwk.kid, createPublicKey({ key: jwk, format: "jwk" }));
        } catch {
          // not a usable RSA key: skipped, as Convex skips it
        }
      }
      sets.set(url, keys);
    } catch {
      // unreachable: the keys we had stay
    }
  }
  return {
    providers,
    key: (url, kid) => sets.get(url)?.get(kid),
    refresh(url) {
      let running = pending.get(url);
      if (!running) {
        running = load(url).finally(() => pending.delete(url));
        pending.set(url, running);
      }
      return running;
    },
  };
}

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

function decodeJwtHeader(token: string): Record<string, unknown> | undefined {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString("utf8"));
    return header && typeof header === "object" ? (header as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** RS256 over `header.payload` with the provider's key named by `kid`. */
function verifyJwt(token: string, provider: JwtProvider, jwt: JwtKeys, payload: Record<string, unknown>): AuthResult {
  const header = decodeJwtHeader(token);
  if (header?.alg !== "RS256" || typeof header.kid !== "string") return reject(AUTH.badSignature);
  const key = jwt.key(provider.jwksUrl, header.kid);
  if (!key)
    return {
      ...(reject(AUTH.badSignature) as Extract<AuthResult, { kind: "rejected" }>),
      unknownKey: provider.jwksUrl,
    };
  const [head, body, signature] = token.split(".") as [string, string, string];
  const valid = verifySignature("RSA-SHA256", Buffer.from(`${head}.${body}`), key, Buffer.from(signature, "base64url"));
  if (!valid || typeof payload.sub !== "string" || payload.sub === "") return reject(AUTH.badSignature);
  return { kind: "user", userId: userIdFor(payload.sub) };
}

/**
 * `accepted`: token → the user ID it signs in as (the built-in provider). `jwt`: the JWT providers,
 * checked against the keys already fetched; a token naming an unknown key id comes back rejected
 * with `unknownKey` (authenticateAsync fetches the key set again and checks once more).
 */
export function authenticate(
  header: string | undefined,
  accepted: ReadonlyMap<string, string>,
  nowMs: number,
  jwt?: JwtKeys,
): AuthResult {
  if (header === undefined) return { kind: "anonymous" };
  if (header.length <= 7 || header.slice(0, 7).toLowerCase() !== "bearer ") return reject(AUTH.notBearer);
  const token = header.slice(7).trim();
  const payload = decodeJwtPayload(token);
  if (!payload) return reject(AUTH.unparseable);
  if (typeof payload.iss !== "string") return reject(AUTH.missingIssuer);
  const aud = payload.aud;
  if (!(typeof aud === "string" || (Array.isArray(aud) && aud.length > 0))) return reject(AUTH.missingAudience);
  const audiences = Array.isArray(aud) ? aud : [aud];
  const builtIn = payload.iss === DEMO_TOKEN_CLAIMS.iss && audiences.includes(DEMO_TOKEN_CLAIMS.aud);
  const provider = builtIn
    ? undefined
    : jwt?.providers.find((p) => p.issuer === payload.iss && audiences.includes(p.applicationID));
  if (!builtIn && !provider) return reject(AUTH.noProvider, "NoAuthProvider");
  if (typeof payload.exp === "number" && payload.exp * 1000 <= nowMs) {
    return reject(AUTH.expired(Math.max(0, Math.floor((nowMs - payload.exp * 1000) / 1000))));
  }
  if (provider && jwt) return verifyJwt(token, provider, jwt, payload);
  const userId = accepted.get(token);
  if (userId === undefined) return reject(AUTH.badSignature);
  return { kind: "user", userId };
}

/** `authenticate`, fetching a JWT provider's key set again when the token names a key it lacks (rotation). */
export async function authenticateAsync(
  header: string | undefined,
  accepted: ReadonlyMap<string, string>,
  now: () => number,
  jwt?: JwtKeys,
): Promise<AuthResult> {
  const first = authenticate(header, accepted, now(), jwt);
  if (first.kind !== "rejected" || first.unknownKey === undefined || !jwt) return first;
  await jwt.refresh(first.unknownKey);
  const second = authenticate(header, accepted, now(), jwt);
  return second.kind === "rejected" ? { kind: "rejected", code: second.code, message: second.message } : second;
}
