/**
 * Verifies the access token an HTTP client sends (connvo-mcp as an OAuth 2.1 protected resource):
 * a JWT signed by the issuer's keys (RS256, found at the issuer's `jwks_uri`), issued by the
 * issuer, for this server (audience = the public URL), not expired (60 s of clock tolerance), with
 * a subject. The key set is fetched once and cached by jose (`createRemoteJWKSet`), and fetched
 * again when a token names a key id it does not know (key rotation), at most once per cooldown.
 *
 * The outcome decides the HTTP answer (src/transports/http/oauth.ts): anything wrong with the
 * token is `invalid` (401 invalid_token), while a key set or metadata that cannot be fetched is
 * `unavailable` (503): answering 401 there would send every client into a sign-in loop for a
 * problem signing in again cannot fix.
 */
import { createHash } from "node:crypto";
import {
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { issuerMetadataCache, type MetadataOutcome } from "./metadata.js";
import type { FetchLike } from "./net.js";

export const ALLOWED_ALGORITHMS = ["RS256"];
export const CLOCK_TOLERANCE_SEC = 60;

export interface VerifiedToken {
  /** A short, stable hash of issuer and `sub`: how logs and per-user limits name the user. */
  subject: string;
  scopes: string[];
  /** Seconds since the epoch (`exp`). */
  expiresAt: number;
  /** The client the token was issued to (`client_id` or `azp`), for AuthInfo. */
  clientId: string;
}

export type VerifyOutcome =
  | { ok: true; token: VerifiedToken }
  | { ok: false; problem: "invalid"; description: string }
  | { ok: false; problem: "unavailable"; description: string; retryAfterSec: number };

export interface TokenVerifierOptions {
  issuer: string;
  /** The audience tokens must name: this server's public URL. */
  audience: string;
  /** Default: the issuer metadata's `jwks_uri`. */
  jwksUrl?: string;
  fetch?: FetchLike;
  /** For expiry checks; default Date.now. */
  now?: () => number;
  /** How long after a key-set fetch an unknown key id waits before fetching again; default 5 s. */
  cooldownMs?: number;
  timeoutMs?: number;
  /** The issuer's metadata, when the caller already keeps it (shared with the token exchange). */
  metadata?: { get(): Promise<MetadataOutcome> };
}

export interface TokenVerifier {
  verify(token: string): Promise<VerifyOutcome>;
}

/** The short name of a user in logs and limits: never the token, the `sub` itself or an email. */
export function subjectHash(issuer: string, sub: string): string {
  return `u_${createHash("sha256").update(`${issuer}\n${sub}`).digest("base64url").slice(0, 16)}`;
}

/** Scopes from `scope` (RFC 8693 / 9068: space-delimited), `scp` (a list) or WorkOS's `permissions`. */
export function scopesOf(claims: JWTPayload): string[] {
  const out = new Set<string>();
  const add = (value: unknown) => {
    const items = typeof value === "string" ? value.split(" ") : Array.isArray(value) ? value : [];
    for (const item of items) if (typeof item === "string" && item) out.add(item);
  };
  add(claims.scope);
  add(claims.scp);
  add(claims.permissions);
  return [...out];
}

/** Thrown inside jose's key lookup: the keys could not be had, whatever the token. */
class KeysUnavailable extends Error {
  constructor(
    readonly description: string,
    readonly retryAfterSec = 5,
  ) {
    super(description);
  }
}

const sameIssuer = (a: string, b: string) => a.replace(/\/$/, "") === b.replace(/\/$/, "");

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const now = options.now ?? Date.now;
  const cooldownMs = options.cooldownMs ?? 5000;
  const timeoutMs = options.timeoutMs ?? 5000;
  const metadata = options.metadata ?? issuerMetadataCache(options.issuer, { fetch: options.fetch, timeoutMs, now });
  const issuers = [
    ...new Set([options.issuer, options.issuer.replace(/\/$/, ""), `${options.issuer.replace(/\/$/, "")}/`]),
  ];
  let keySet: ReturnType<typeof createRemoteJWKSet> | undefined;

  async function keys(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (keySet) return keySet;
    let url = options.jwksUrl;
    if (!url) {
      const found = await metadata.get();
      if (!found.ok) {
        throw new KeysUnavailable(`the issuer's metadata could not be fetched (${found.problem}: ${found.detail})`);
      }
      if (!found.metadata.jwksUri) throw new KeysUnavailable("the issuer's metadata names no jwks_uri");
      url = found.metadata.jwksUri;
    }
    keySet ??= createRemoteJWKSet(new URL(url), { cooldownDuration: cooldownMs, timeoutDuration: timeoutMs });
    return keySet;
  }

  const getKey: JWTVerifyGetKey = async (header, token) => {
    const set = await keys();
    const known = set.jwks()?.keys;
    if (known && header.kid !== undefined && !known.some((k) => k.kid === header.kid) && set.coolingDown) {
      // A key id the cached set lacks, fetched moments ago: possibly a key just rotated in.
      // Not the token's fault yet, so not a 401; the set is fetched again after the cooldown.
      throw new KeysUnavailable(
        "the token names a signing key the issuer did not publish moments ago",
        Math.ceil(cooldownMs / 1000),
      );
    }
    try {
      return await set(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      if (error instanceof errors.JOSENotSupported) throw error;
      const what = error instanceof errors.JWKSTimeout ? "did not answer in time" : "could not be fetched or read";
      throw new KeysUnavailable(`the issuer's signing keys ${what}`);
    }
  };

  return {
    async verify(token) {
      let claims: JWTPayload;
      try {
        decodeProtectedHeader(token);
        claims = decodeJwt(token);
      } catch {
        return { ok: false, problem: "invalid", description: "The access token is not a JWT" };
      }
      // Tokens of another issuer are refused before any key lookup: no fetch for a foreign token.
      if (typeof claims.iss !== "string" || !sameIssuer(claims.iss, options.issuer)) {
        return {
          ok: false,
          problem: "invalid",
          description: "The access token was not issued by this server's authorization server",
        };
      }
      try {
        const { payload } = await jwtVerify(token, getKey, {
          issuer: issuers,
          audience: options.audience,
          algorithms: ALLOWED_ALGORITHMS,
          clockTolerance: CLOCK_TOLERANCE_SEC,
          currentDate: new Date(now()),
          requiredClaims: ["sub", "exp"],
        });
        if (typeof payload.sub !== "string" || payload.sub === "" || typeof payload.exp !== "number") {
          return { ok: false, problem: "invalid", description: "The access token names no user" };
        }
        const clientId =
          typeof payload.client_id === "string"
            ? payload.client_id
            : typeof payload.azp === "string"
              ? payload.azp
              : "";
        return {
          ok: true,
          token: {
            subject: subjectHash(options.issuer.replace(/\/$/, ""), payload.sub),
            scopes: scopesOf(payload),
            expiresAt: payload.exp,
            clientId,
          },
        };
      } catch (error) {
        if (error instanceof KeysUnavailable) {
          return {
            ok: false,
            problem: "unavailable",
            description: error.description,
            retryAfterSec: error.retryAfterSec,
          };
        }
        return { ok: false, problem: "invalid", description: describe(error) };
      }
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "The access token has expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "aud") return "The access token was not issued for this server";
    if (error.claim === "iss") return "The access token was not issued by this server's authorization server";
    if (error.claim === "nbf" || error.claim === "iat") return "The access token is not valid yet";
    return "The access token lacks a required claim";
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return "The access token is not signed with an accepted algorithm";
  if (error instanceof errors.JWKSNoMatchingKey)
    return "The access token is signed with a key the issuer does not publish";
  return "The access token's signature is not valid";
}
