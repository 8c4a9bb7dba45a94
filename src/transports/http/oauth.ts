/**
 * connvo-mcp as an OAuth 2.1 protected resource (MCP authorization, 2025-11-25 and 2026-07-28;
 * CONNVO_MCP_AUTH=oauth). What it answers:
 *
 * - Protected Resource Metadata (RFC 9728) at `/.well-known/oauth-protected-resource/mcp` (the
 *   path-aware URL clients try first) and `/.well-known/oauth-protected-resource`: `resource` =
 *   the public URL, `authorization_servers` = [the issuer], `scopes_supported`,
 *   `bearer_methods_supported`. No auth and no Host check, like /healthz: it is public and never
 *   derived from the request.
 * - A request without a bearer token: 401 with `WWW-Authenticate: Bearer resource_metadata="...",
 *   scope="meetings:read"`, which starts a client's sign-in.
 * - An invalid, expired, wrong-issuer or wrong-audience token: 401 `error="invalid_token"`.
 * - A verified token without the scope the request needs (reads `meetings:read`, the write tools
 *   also `meetings:write`): 403 `error="insufficient_scope"` naming the scopes needed.
 * - The issuer's metadata or key set unreachable: 503 with Retry-After, never 401 (a 401 would send
 *   clients into a sign-in loop for a problem signing in cannot fix).
 *
 * A verified request reaches the tools as a `{ kind: "user" }` caller whose backend uses the token
 * exchanged for this user (src/auth/exchange.ts), never the token the client sent.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import type { AuthInfo } from "@modelcontextprotocol/server";
import { createTokenExchanger, type TokenExchanger } from "../../auth/exchange.js";
import { issuerMetadataCache } from "../../auth/metadata.js";
import { type OAuthSettings, READ_SCOPE, SCOPES_SUPPORTED, WRITE_SCOPE } from "../../auth/settings.js";
import { createTokenVerifier, type TokenVerifier } from "../../auth/verify.js";
import { hostForUrl } from "../../config/http.js";
import type { CallerIdentity } from "../../core/identity.js";
import { log } from "../../core/log.js";
import { ALL_TOOLS } from "../../tools/inventory.js";
import type { AuthOutcome } from "./auth.js";

export const PRM_PATH = "/.well-known/oauth-protected-resource";
const MCP_PATH = "/mcp";
/** `AuthInfo.extra` key of the verified user (an instance of the class below, never from a header). */
const USER_KEY = "connvo.oauthUser";

/** Tools that change Connvo data: calling one needs the write scope. */
const WRITE_TOOLS: ReadonlySet<string> = new Set(ALL_TOOLS.filter((tool) => tool.write).map((tool) => tool.name));

/** A user whose token this server verified, as the tools' caller identity is made from it. */
class OAuthUser {
  constructor(readonly identity: Extract<CallerIdentity, { kind: "user"; tokens: unknown }>) {}
}

/** The caller identity of a request this module verified, or undefined for any other AuthInfo. */
export function oauthCallerOf(authInfo: AuthInfo): CallerIdentity | undefined {
  const user = authInfo.extra?.[USER_KEY];
  return user instanceof OAuthUser ? user.identity : undefined;
}

export interface ScopeRefusal {
  status: 403;
  wwwAuthenticate: string;
  message: string;
}

export interface OAuthResourceServer {
  authenticate(headers: IncomingHttpHeaders, req?: IncomingMessage): Promise<AuthOutcome>;
  /** For a verified request: the 403 when its token lacks a scope the request needs. */
  authorize(authInfo: AuthInfo | undefined, body: Buffer): ScopeRefusal | undefined;
  /** Whether `path` is a Protected Resource Metadata document this server answers. */
  isMetadataPath(path: string): boolean;
  serveMetadata(req: IncomingMessage, res: ServerResponse): void;
  /** Exchanges made so far (tests). */
  readonly exchanger: TokenExchanger;
}

/** A quoted-string value of a WWW-Authenticate parameter (RFC 7235): no quotes, backslashes or controls. */
const quote = (value: string) =>
  `"${[...value].filter((c) => c !== '"' && c !== "\\" && c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f).join("")}"`;

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer +([^\s]+) *$/i.exec(header ?? "");
  return match?.[1];
}

/** Which scopes a JSON-RPC body needs: reading always, writing for a write tool's call. */
function scopesNeeded(body: Buffer): string[] {
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    return [READ_SCOPE]; // the SDK answers what is not JSON-RPC
  }
  const messages = Array.isArray(value) ? value : [value];
  const write = messages.some((message) => {
    if (!message || typeof message !== "object") return false;
    const { method, params } = message as { method?: unknown; params?: { name?: unknown } };
    return method === "tools/call" && typeof params?.name === "string" && WRITE_TOOLS.has(params.name);
  });
  return write ? [READ_SCOPE, WRITE_SCOPE] : [READ_SCOPE];
}

export function createOAuthResourceServer(settings: OAuthSettings): OAuthResourceServer {
  const now = settings.now ?? Date.now;
  const metadata = issuerMetadataCache(settings.issuer, { now });
  const exchanger = createTokenExchanger({
    tokenEndpoint: () => (settings.tokenUrl ? Promise.resolve({ ok: true, url: settings.tokenUrl }) : metadata.get()),
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    audience: settings.convexAudience,
    now,
  });
  // One verifier per public URL: configured, there is one; --demo derives it from the listener.
  const verifiers = new Map<string, TokenVerifier>();
  const verifierFor = (publicUrl: string) => {
    let verifier = verifiers.get(publicUrl);
    if (!verifier) {
      verifier = createTokenVerifier({
        issuer: settings.issuer,
        audience: publicUrl,
        jwksUrl: settings.jwksUrl,
        now,
        metadata,
        ...(settings.jwksCooldownMs !== undefined ? { cooldownMs: settings.jwksCooldownMs } : {}),
      });
      if (verifiers.size < 16) verifiers.set(publicUrl, verifier);
    }
    return verifier;
  };

  /** The URL clients use: configured, never from a Host header; --demo: this listener's loopback address. */
  function publicUrlOf(req: IncomingMessage | undefined): string {
    if (settings.publicUrl) return settings.publicUrl;
    const address = req?.socket.localAddress?.replace(/^::ffff:/, "") ?? "127.0.0.1";
    return `http://${hostForUrl(address)}:${req?.socket.localPort ?? 0}${MCP_PATH}`;
  }

  function metadataUrlOf(publicUrl: string): string {
    const url = new URL(publicUrl);
    const path = url.pathname === "/" ? "" : url.pathname.replace(/\/$/, "");
    return `${url.origin}${PRM_PATH}${path}`;
  }

  const challenge = (publicUrl: string, extra: string[] = []) =>
    `Bearer ${[...extra, `resource_metadata=${quote(metadataUrlOf(publicUrl))}`, `scope=${quote(READ_SCOPE)}`].join(", ")}`;

  let lastOutageLog = 0;

  return {
    exchanger,
    async authenticate(headers, req) {
      const publicUrl = publicUrlOf(req);
      const presented = bearerToken(headers.authorization);
      if (presented === undefined) {
        return {
          ok: false,
          status: 401,
          wwwAuthenticate: challenge(publicUrl),
          message:
            "This server needs you to sign in: send an OAuth access token from its authorization server (see the resource metadata in WWW-Authenticate).",
        };
      }
      const outcome = await verifierFor(publicUrl).verify(presented);
      if (!outcome.ok && outcome.problem === "unavailable") {
        if (now() - lastOutageLog > 30_000) {
          lastOutageLog = now();
          log("warn", `oauth: cannot verify tokens right now: ${outcome.description}; answering 503`);
        }
        return {
          ok: false,
          status: 503,
          headers: { "retry-after": String(outcome.retryAfterSec) },
          message: `Tokens cannot be verified right now (${outcome.description}). Retry in ${outcome.retryAfterSec} s.`,
        };
      }
      if (!outcome.ok) {
        return {
          ok: false,
          status: 401,
          wwwAuthenticate: challenge(publicUrl, [
            `error="invalid_token"`,
            `error_description=${quote(outcome.description)}`,
          ]),
          message: `${outcome.description}. Sign in again.`,
        };
      }
      const { token } = outcome;
      const identity = {
        kind: "user" as const,
        subject: token.subject,
        tokens: exchanger.tokensFor(presented, token.subject),
        scopes: token.scopes,
      };
      log("debug", `oauth: verified a token of user ${token.subject} (scopes: ${token.scopes.join(" ") || "none"})`);
      return {
        ok: true,
        authInfo: {
          token: presented,
          clientId: token.clientId,
          scopes: token.scopes,
          expiresAt: token.expiresAt,
          resource: new URL(publicUrl),
          extra: { caller: "user", subject: token.subject, [USER_KEY]: new OAuthUser(identity) },
        },
      };
    },
    authorize(authInfo, body) {
      const user = authInfo ? authInfo.extra?.[USER_KEY] : undefined;
      if (!(user instanceof OAuthUser)) return undefined;
      const needed = scopesNeeded(body);
      const missing = needed.filter((scope) => !user.identity.scopes.includes(scope));
      if (missing.length === 0) return undefined;
      const publicUrl = authInfo?.resource?.href ?? settings.publicUrl ?? "";
      log("debug", `oauth: user ${user.identity.subject} lacks scope ${missing.join(" ")}`);
      return {
        status: 403,
        wwwAuthenticate: `Bearer error="insufficient_scope", scope=${quote(needed.join(" "))}, resource_metadata=${quote(metadataUrlOf(publicUrl))}, error_description=${quote(`This request needs the scope ${missing.join(" ")}`)}`,
        message: `The access token lacks the scope ${missing.join(" ")} this request needs. Sign in again granting it.`,
      };
    },
    isMetadataPath(path) {
      return path === PRM_PATH || path.startsWith(`${PRM_PATH}/`);
    },
    serveMetadata(req, res) {
      const publicUrl = publicUrlOf(req);
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      const own = new URL(metadataUrlOf(publicUrl)).pathname;
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        const text = JSON.stringify(body);
        res.writeHead(status, {
          "content-type": "application/json",
          "content-length": String(Buffer.byteLength(text)),
          "access-control-allow-origin": "*",
          ...headers,
        });
        res.end(req.method === "HEAD" ? undefined : text);
      };
      if (req.method === "OPTIONS") {
        res.writeHead(204, {
          "access-control-allow-origin": "*",
          "access-control-allow-methods": "GET, HEAD, OPTIONS",
          "access-control-allow-headers": "mcp-protocol-version",
        });
        res.end();
        return;
      }
      if (req.method !== "GET" && req.method !== "HEAD")
        return send(405, { error: "method_not_allowed" }, { allow: "GET, HEAD" });
      if (path !== PRM_PATH && path !== own && path !== `${PRM_PATH}${MCP_PATH}`) {
        return send(404, { error: "not_found", message: `The resource metadata is at ${own}.` });
      }
      send(
        200,
        {
          resource: publicUrl,
          authorization_servers: [settings.issuer],
          scopes_supported: SCOPES_SUPPORTED,
          bearer_methods_supported: ["header"],
          resource_name: "Connvo (connvo-mcp)",
        },
        { "cache-control": "public, max-age=300" },
      );
    },
  };
}
