/**
 * The demo deployment's auth, in the order Convex checks a bearer token: header shape, payload
 * parse, issuer/audience present, a provider for them, then expiry, then "signature" (here: is it
 * one of the accepted tokens, and whose). Expiry is checked before the signature so an expired copy
 * of a real token reads as expired, which is what a genuine-but-old token gets from Convex.
 */
import { DEMO_TOKEN_CLAIMS } from "./seed.js";
import { AUTH } from "./wire.js";

export type AuthResult =
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

/** `accepted`: token → the user ID it signs in as. */
export function authenticate(
  header: string | undefined,
  accepted: ReadonlyMap<string, string>,
  nowMs: number,
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
  if (payload.iss !== DEMO_TOKEN_CLAIMS.iss || !audiences.includes(DEMO_TOKEN_CLAIMS.aud)) {
    return reject(AUTH.noProvider, "NoAuthProvider");
  }
  if (typeof payload.exp === "number" && payload.exp * 1000 <= nowMs) {
    return reject(AUTH.expired(Math.max(0, Math.floor((nowMs - payload.exp * 1000) / 1000))));
  }
  const userId = accepted.get(token);
  if (userId === undefined) return reject(AUTH.badSignature);
  return { kind: "user", userId };
}
