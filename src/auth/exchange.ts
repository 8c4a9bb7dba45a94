/**
 * No token passthrough: the token an MCP client sends is for this server (its audience is the
 * public URL), and Connvo's Convex would refuse it anyway. For each user, connvo-mcp exchanges the
 * verified token at the issuer's token endpoint (OAuth 2.0 Token Exchange, RFC 8693, as WorkOS
 * Connect supports it) for a token whose audience is the one Connvo's Convex accepts, and calls
 * Convex with that.
 *
 * Exchanged tokens are kept, keyed by a SHA-256 hash of the incoming token (never the token
 * itself), until shortly before they expire, at most `maxEntries` of them (least recently used
 * go first). One exchange per user is in flight at a time: concurrent calls with the same token
 * share it, and a user's next token waits for the one in flight. No token is ever logged or put
 * into a failure.
 */
import { createHash } from "node:crypto";
import { decodeJwt } from "jose";
import { type Failure, ToolFailure } from "../core/failures.js";
import type { CallerTokens } from "../core/identity.js";
import { registerSecret } from "../core/log.js";
import type { MetadataOutcome } from "./metadata.js";
import { type FetchLike, isTokenShaped, numberField, postForm, stringField } from "./net.js";

export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
export const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";

export interface TokenExchangerOptions {
  /** Where the token endpoint is (an explicit URL, or the issuer's metadata). */
  tokenEndpoint: () => Promise<MetadataOutcome | { ok: true; url: string }>;
  clientId: string;
  clientSecret: string;
  /** The audience the exchanged token must have (Connvo's Convex applicationID). */
  audience: string;
  fetch?: FetchLike;
  now?: () => number;
  /** Exchanged tokens kept at most; default 1000. */
  maxEntries?: number;
  /** An exchanged token is used until this long before it expires; default 60 s. */
  marginMs?: number;
  timeoutMs?: number;
}

export interface TokenExchanger {
  /** A Connvo token for `incoming` (a verified token of the user `subject`). Throws ToolFailure. */
  exchange(incoming: string, subject: string): Promise<string>;
  /** Drops what is kept for `incoming` (Convex rejected the exchanged token). */
  forget(incoming: string): void;
  /** The token source a user's backend uses (src/core/identity.ts CallerTokens). */
  tokensFor(incoming: string, subject: string): CallerTokens;
  /** Exchanges made (requests sent to the token endpoint) since start; for tests and logs. */
  readonly exchanges: number;
  readonly size: number;
}

interface Kept {
  token: string;
  /** ms since the epoch. */
  expiresAt: number;
}

const hashOf = (token: string) => createHash("sha256").update(token).digest("base64url");

/** When the exchanged token expires: `expires_in`, or its own `exp`, whichever is sooner. */
function expiryOf(token: string, expiresIn: number | undefined, now: number): number {
  let at = expiresIn !== undefined ? now + expiresIn * 1000 : Number.POSITIVE_INFINITY;
  try {
    const { exp } = decodeJwt(token);
    if (typeof exp === "number") at = Math.min(at, exp * 1000);
  } catch {
    // an opaque token: expires_in alone says
  }
  // Neither said: keep it for five minutes, then exchange again.
  return Number.isFinite(at) ? at : now + 5 * 60 * 1000;
}

/** Whether a JWT names `audience` in `aud` (an opaque token cannot be checked, and is taken as given). */
function hasAudience(token: string, audience: string): boolean {
  try {
    const { aud } = decodeJwt(token);
    if (aud === undefined) return true;
    return Array.isArray(aud) ? aud.includes(audience) : aud === audience;
  } catch {
    return true;
  }
}

const MISCONFIGURED_ERRORS = new Set([
  "invalid_client",
  "unauthorized_client",
  "unsupported_grant_type",
  "invalid_target",
  "invalid_scope",
]);

export function createTokenExchanger(options: TokenExchangerOptions): TokenExchanger {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 1000;
  const marginMs = options.marginMs ?? 60_000;
  /** Map order is use order: the first entry is the least recently used. */
  const kept = new Map<string, Kept>();
  /** Per user: the exchange in flight and the incoming token's hash it is for. */
  const inFlight = new Map<string, { key: string; promise: Promise<string> }>();
  let exchanges = 0;

  function lookup(key: string): string | undefined {
    const entry = kept.get(key);
    if (!entry) return undefined;
    kept.delete(key);
    if (entry.expiresAt - marginMs <= now()) return undefined;
    kept.set(key, entry); // most recently used now
    return entry.token;
  }

  function keep(key: string, entry: Kept): void {
    kept.delete(key);
    kept.set(key, entry);
    while (kept.size > maxEntries) {
      const oldest = kept.keys().next().value;
      if (oldest === undefined) break;
      kept.delete(oldest);
    }
  }

  async function request(incoming: string): Promise<Kept> {
    const endpoint = await options.tokenEndpoint();
    if (!endpoint.ok) {
      throw new ToolFailure({
        kind: "auth_server",
        during: "exchange",
        problem: endpoint.problem === "unreachable" ? "unreachable" : "unavailable",
        url: endpoint.url,
      });
    }
    const url = "url" in endpoint ? endpoint.url : endpoint.metadata.tokenEndpoint;
    if (!url) {
      const issuer = "metadata" in endpoint ? endpoint.metadata.issuer : "";
      throw new ToolFailure({
        kind: "auth_server",
        during: "exchange",
        problem: "misconfigured",
        url: issuer,
        error: "no token_endpoint",
      });
    }
    const isUrl = /^https?:\/\//.test(options.audience);
    exchanges += 1;
    const answer = await postForm(
      url,
      {
        grant_type: TOKEN_EXCHANGE_GRANT,
        subject_token: incoming,
        subject_token_type: ACCESS_TOKEN_TYPE,
        requested_token_type: ACCESS_TOKEN_TYPE,
        audience: options.audience,
        ...(isUrl ? { resource: options.audience } : {}),
        client_id: options.clientId,
        client_secret: options.clientSecret,
      },
      { fetch: options.fetch, timeoutMs: options.timeoutMs },
    );
    const fail = (
      problem: Extract<Failure, { kind: "auth_server" }>["problem"],
      extra: { status?: number; error?: string } = {},
    ) => new ToolFailure({ kind: "auth_server", during: "exchange", problem, url, ...extra });
    if (!answer.ok) throw fail("unreachable");
    const error = stringField(answer.json, "error");
    if (answer.status >= 500 || answer.status === 429) throw fail("unavailable", { status: answer.status });
    if (answer.status !== 200) {
      const code = error?.slice(0, 40);
      if (code && MISCONFIGURED_ERRORS.has(code)) throw fail("misconfigured", { status: answer.status, error: code });
      if (answer.status === 401)
        throw fail("misconfigured", { status: answer.status, ...(code ? { error: code } : {}) });
      throw fail("refused", { status: answer.status, ...(code ? { error: code } : {}) });
    }
    const token = stringField(answer.json, "access_token");
    if (!isTokenShaped(token)) throw fail("unavailable", { status: 200, error: "no access_token" });
    if (!hasAudience(token, options.audience)) throw fail("misconfigured", { status: 200, error: "wrong audience" });
    // A JWT is redacted by its shape wherever it appears; an opaque token is registered.
    if (!/^eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*$/.test(token)) registerSecret(token);
    return { token, expiresAt: expiryOf(token, numberField(answer.json, "expires_in"), now()) };
  }

  async function exchange(incoming: string, subject: string): Promise<string> {
    const key = hashOf(incoming);
    for (;;) {
      const cached = lookup(key);
      if (cached !== undefined) return cached;
      const current = inFlight.get(subject);
      if (current?.key === key) return current.promise;
      if (current) {
        // This user's other token is being exchanged: one at a time per user.
        await current.promise.catch(() => undefined);
        continue;
      }
      const promise = request(incoming).then((entry) => {
        keep(key, entry);
        return entry.token;
      });
      const flight = { key, promise };
      inFlight.set(subject, flight);
      const clear = () => {
        if (inFlight.get(subject) === flight) inFlight.delete(subject);
      };
      promise.then(clear, clear);
      return promise;
    }
  }

  const exchanger: TokenExchanger = {
    exchange,
    forget(incoming) {
      kept.delete(hashOf(incoming));
    },
    tokensFor(incoming, subject) {
      return {
        info: { kind: "oauth" },
        get: () => exchange(incoming, subject),
        async afterRejection(rejected) {
          // Convex refused the exchanged token: exchange once more, and offer it if it is new.
          const key = hashOf(incoming);
          if (kept.get(key)?.token === rejected) kept.delete(key);
          const fresh = await exchange(incoming, subject);
          return fresh === rejected ? undefined : fresh;
        },
      };
    },
    get exchanges() {
      return exchanges;
    },
    get size() {
      return kept.size;
    },
  };
  return exchanger;
}
