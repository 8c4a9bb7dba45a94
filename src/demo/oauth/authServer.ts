/**
 * A local OAuth 2.1 authorization server standing in for Connvo's WorkOS AuthKit, for tests and
 * `connvo-mcp --demo --http --auth oauth`. On loopback, no internet, and it never writes to
 * stdout or stderr. It serves:
 *
 * - metadata (RFC 8414) at /.well-known/oauth-authorization-server (and openid-configuration);
 * - its keys (JWKS) at /oauth2/jwks, RS256, rotated on request (`rotateKeys`);
 * - dynamic client registration (RFC 7591) at /oauth2/register;
 * - authorization code + PKCE (S256 only) at /oauth2/authorize with automatic consent for a test
 *   user (the demo user, or `login_hint`), redirecting back with `code`, `state` and `iss`;
 * - the token endpoint /oauth2/token: authorization_code, refresh_token (rotating: a used refresh
 *   token is refused), token exchange (RFC 8693, for a confidential client: a token issued for
 *   an MCP server becomes one for a Connvo audience) and the device code grant (RFC 8628);
 * - device authorization at /oauth2/device_authorization, confirmed at /device (the page a user
 *   opens; here a GET confirms at once) — also at WorkOS CLI Auth's paths;
 * - revocation (RFC 7009) at /oauth2/revoke.
 *
 * Access tokens are JWTs: iss = this server, sub = the person's key (src/demo/world/people.ts),
 * aud = the resource the client asked for (RFC 8707), else the client ID; scope; client_id.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, jwtVerify, SignJWT } from "jose";
import { PEOPLE } from "../world/people.js";

export const DEMO_CONNVO_CLIENT_ID = "connvo-demo";
export const DEMO_SERVER_CLIENT_ID = "connvo-mcp-server";
export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
export const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
const ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
const SUPPORTED_SCOPES = ["meetings:read", "meetings:write", "openid", "profile", "email", "offline_access"];

export interface DemoAuthUser {
  sub: string;
  email: string;
  name: string;
  /** Other names login_hint may use ("priya"). */
  aliases?: string[];
}

export interface DemoAuthServerOptions {
  host?: string;
  port?: number;
  now?: () => number;
  users?: DemoAuthUser[];
  /** Who consents when no login_hint says otherwise; default the demo user (Alex Morgan). */
  defaultUser?: string;
  accessTokenTtlSec?: number;
  exchangedTokenTtlSec?: number;
  refreshTokenTtlSec?: number;
  deviceCodeTtlSec?: number;
  deviceIntervalSec?: number;
  /** Audiences the token exchange may issue tokens for; default [DEMO_CONNVO_CLIENT_ID]. */
  exchangeAudiences?: string[];
  /** The confidential client that may exchange tokens; a random secret by default. */
  serverClientSecret?: string;
}

interface Client {
  clientId: string;
  clientSecret?: string;
  redirectUris: string[];
  grantTypes: string[];
  name?: string;
}

interface Grant {
  sub: string;
  clientId: string;
  scope: string;
  /** The audience of its access tokens. */
  aud: string;
}

interface RefreshEntry extends Grant {
  expiresAt: number;
  state: "active" | "used" | "revoked";
}

interface DeviceEntry {
  deviceCode: string;
  userCode: string;
  clientId: string;
  scope: string;
  expiresAt: number;
  state: "pending" | "approved" | "denied" | "done";
  sub?: string;
}

export interface DemoAuthStats {
  tokenRequests: number;
  exchanges: number;
  refreshes: number;
  jwksRequests: number;
  registrations: number;
  authorizations: number;
  deviceAuthorizations: number;
  revocations: number;
}

export interface DemoAuthServer {
  /** The issuer (also the base URL), without a trailing slash. */
  readonly issuer: string;
  readonly jwksUri: string;
  readonly tokenEndpoint: string;
  /** The confidential client connvo-mcp's HTTP server exchanges tokens with. */
  readonly serverClient: { clientId: string; clientSecret: string };
  /** Connvo's client ID: the audience Connvo's (demo) Convex accepts, and the device-grant client. */
  readonly connvoClientId: string;
  readonly users: readonly DemoAuthUser[];
  readonly stats: DemoAuthStats;
  /** Every secret it handed out (access, refresh and exchanged tokens, device codes, client secrets), for leak checks; the last 10,000. */
  readonly issued: readonly string[];
  /** Exchanges per user (`sub`). */
  exchangesBy(sub: string): number;
  /** A new signing key; the old one is kept in the JWKS unless `dropOld`. Returns the new kid. */
  rotateKeys(options?: { dropOld?: boolean }): Promise<string>;
  /** Signs any token with the current key (tests: wrong audience, expired, missing scope, ...). */
  issueToken(claims: JWTPayload & { sub: string }, options?: { expiresInSec?: number; kid?: string }): Promise<string>;
  /** Confirms a pending device code as `sub` (default: the default user); false when unknown. */
  approveDevice(userCode: string, sub?: string): boolean;
  /** Revokes every refresh token of a user (signed out everywhere). */
  revokeUser(sub: string): void;
  /** "down": JWKS answers 503; "hang": it never answers; undefined: normal. */
  setJwksFault(fault: "down" | "hang" | undefined): void;
  close(): Promise<void>;
}

function defaultUsers(): DemoAuthUser[] {
  return Object.entries(PEOPLE).map(([alias, person]) => ({
    sub: person.key,
    email: person.email,
    name: person.displayName ?? person.key,
    aliases: [alias],
  }));
}

const random = (bytes = 24) => randomBytes(bytes).toString("base64url");
const sha256 = (text: string) => createHash("sha256").update(text).digest("base64url");

function readBody(req: IncomingMessage, limit = 64 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      text += chunk;
      if (text.length > limit) {
        reject(new Error("body too large"));
        req.destroy();
      }
    });
    req.on("end", () => resolve(text));
    req.on("error", reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(text)),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
}

function html(res: ServerResponse, status: number, text: string): void {
  const body = `<!doctype html><meta charset="utf-8"><title>Connvo demo sign-in</title><p>${text.replace(/[<>&]/g, "")}</p>`;
  res.writeHead(status, {
    "content-type": "text/html; charset=utf-8",
    "content-length": String(Buffer.byteLength(body)),
  });
  res.end(body);
}

const oauthError = (res: ServerResponse, status: number, error: string, description: string) =>
  json(res, status, { error, error_description: description });

export async function startDemoAuthServer(options: DemoAuthServerOptions = {}): Promise<DemoAuthServer> {
  const now = options.now ?? Date.now;
  const host = options.host ?? "127.0.0.1";
  const users = options.users ?? defaultUsers();
  const defaultUser = options.defaultUser ?? "user_demo";
  const accessTtl = options.accessTokenTtlSec ?? 3600;
  const exchangedTtl = options.exchangedTokenTtlSec ?? 300;
  const refreshTtl = options.refreshTokenTtlSec ?? 30 * 24 * 3600;
  const deviceTtl = options.deviceCodeTtlSec ?? 600;
  const deviceInterval = options.deviceIntervalSec ?? 1;
  const exchangeAudiences = options.exchangeAudiences ?? [DEMO_CONNVO_CLIENT_ID];
  const serverClient = { clientId: DEMO_SERVER_CLIENT_ID, clientSecret: options.serverClientSecret ?? random(24) };

  const clients = new Map<string, Client>([
    [
      DEMO_CONNVO_CLIENT_ID,
      { clientId: DEMO_CONNVO_CLIENT_ID, redirectUris: [], grantTypes: [DEVICE_CODE_GRANT, "refresh_token"] },
    ],
    [
      serverClient.clientId,
      {
        clientId: serverClient.clientId,
        clientSecret: serverClient.clientSecret,
        redirectUris: [],
        grantTypes: [TOKEN_EXCHANGE_GRANT],
      },
    ],
  ]);
  const codes = new Map<
    string,
    Grant & { redirectUri: string; challenge: string; resource?: string; expiresAt: number }
  >();
  const refreshTokens = new Map<string, RefreshEntry>();
  const devices = new Map<string, DeviceEntry>();
  const exchangesBySub = new Map<string, number>();
  const stats: DemoAuthStats = {
    tokenRequests: 0,
    exchanges: 0,
    refreshes: 0,
    jwksRequests: 0,
    registrations: 0,
    authorizations: 0,
    deviceAuthorizations: 0,
    revocations: 0,
  };
  let jwksFault: "down" | "hang" | undefined;
  const issued: string[] = [serverClient.clientSecret];
  const remember = (secret: string) => {
    issued.push(secret);
    if (issued.length > 10_000) issued.splice(0, issued.length - 10_000);
    return secret;
  };

  // Signing keys: the last one signs; all published ones verify.
  const keys: { kid: string; privateKey: CryptoKey; publicJwk: JWK }[] = [];
  async function addKey(): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
    const kid = `demo-${random(6)}`;
    keys.push({ kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } });
    return kid;
  }
  await addKey();

  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) json(res, 500, { error: "server_error" });
      else res.destroy();
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.on("clientError", (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  const userFor = (hint: string | undefined): DemoAuthUser | undefined => {
    const wanted = (hint ?? defaultUser).toLowerCase();
    return users.find(
      (u) =>
        u.sub.toLowerCase() === wanted ||
        u.email.toLowerCase() === wanted ||
        u.aliases?.some((a) => a.toLowerCase() === wanted),
    );
  };

  async function sign(claims: JWTPayload, expiresInSec: number, kid?: string): Promise<string> {
    const key = (kid ? keys.find((k) => k.kid === kid) : undefined) ?? (keys[keys.length - 1] as (typeof keys)[number]);
    const iat = Math.floor(now() / 1000);
    const signed = async (jwt: Promise<string>) => remember(await jwt);
    // `iss` defaults to this server; a test may sign a token of another issuer with its keys.
    return signed(
      new SignJWT({ iss: issuer, ...claims })
        .setProtectedHeader({ alg: "RS256", kid: key.kid, typ: "JWT" })
        .setIssuedAt(iat)
        .setExpirationTime(iat + expiresInSec)
        .setJti(random(12))
        .sign(key.privateKey),
    );
  }

  /** Verifies a token this server issued (any published key). */
  async function verifyOwn(token: string): Promise<JWTPayload | undefined> {
    try {
      const { payload } = await jwtVerify(
        token,
        async (header) => {
          const key = keys.find((k) => k.kid === header.kid);
          if (!key) throw new Error("unknown key");
          return key.publicJwk;
        },
        { issuer, algorithms: ["RS256"], currentDate: new Date(now()) },
      );
      return payload;
    } catch {
      return undefined;
    }
  }

  const userObject = (sub: string) => {
    const user = users.find((u) => u.sub === sub);
    const [first, ...rest] = (user?.name ?? sub).split(" ");
    return { object: "user", id: sub, email: user?.email, first_name: first, last_name: rest.join(" ") || null };
  };

  async function issueGrant(grant: Grant, withUser: boolean): Promise<Record<string, unknown>> {
    const accessToken = await sign(
      { sub: grant.sub, aud: grant.aud, scope: grant.scope, client_id: grant.clientId, sid: `session_${random(6)}` },
      accessTtl,
    );
    const refreshToken = remember(`rt_${random(32)}`);
    refreshTokens.set(refreshToken, { ...grant, expiresAt: now() + refreshTtl * 1000, state: "active" });
    return {
      access_token: accessToken,
      token_type: "Bearer",
      expires_in: accessTtl,
      refresh_token: refreshToken,
      refresh_token_expires_in: refreshTtl,
      scope: grant.scope,
      ...(withUser ? { user: userObject(grant.sub) } : {}),
    };
  }

  /** Client authentication: client_secret_basic, client_secret_post, or none for public clients. */
  function authenticateClient(req: IncomingMessage, params: URLSearchParams): Client | "invalid" | undefined {
    let clientId = params.get("client_id") ?? undefined;
    let secret = params.get("client_secret") ?? undefined;
    const basic = /^Basic\s+(.+)$/i.exec(req.headers.authorization ?? "");
    if (basic?.[1]) {
      const [id, pass] = Buffer.from(basic[1], "base64").toString("utf8").split(":");
      clientId = decodeURIComponent(id ?? "");
      secret = decodeURIComponent(pass ?? "");
    }
    if (!clientId) return undefined;
    const client = clients.get(clientId);
    if (!client) return "invalid";
    if (client.clientSecret !== undefined && client.clientSecret !== secret) return "invalid";
    return client;
  }

  const grantedScope = (requested: string | null | undefined) => {
    const asked = (requested ?? "").split(" ").filter((s) => SUPPORTED_SCOPES.includes(s));
    return (asked.length > 0 ? asked : ["meetings:read"]).join(" ");
  };

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats.tokenRequests += 1;
    const params = new URLSearchParams(await readBody(req));
    const client = authenticateClient(req, params);
    if (client === "invalid") return oauthError(res, 401, "invalid_client", "Unknown client or wrong secret");
    if (!client) return oauthError(res, 401, "invalid_client", "No client_id");
    const grantType = params.get("grant_type");
    switch (grantType) {
      case "authorization_code": {
        const code = codes.get(params.get("code") ?? "");
        if (code) codes.delete(params.get("code") ?? "");
        if (!code || code.expiresAt < now() || code.clientId !== client.clientId) {
          return oauthError(res, 400, "invalid_grant", "Unknown, used or expired code");
        }
        if (params.get("redirect_uri") !== code.redirectUri)
          return oauthError(res, 400, "invalid_grant", "redirect_uri differs");
        const verifier = params.get("code_verifier") ?? "";
        if (sha256(verifier) !== code.challenge)
          return oauthError(res, 400, "invalid_grant", "PKCE verification failed");
        const resource = params.get("resource");
        if (resource && code.resource && resource !== code.resource)
          return oauthError(res, 400, "invalid_target", "resource differs");
        return json(res, 200, await issueGrant(code, false));
      }
      case "refresh_token": {
        stats.refreshes += 1;
        const presented = params.get("refresh_token") ?? "";
        const entry = refreshTokens.get(presented);
        if (entry?.state !== "active" || entry.expiresAt < now() || entry.clientId !== client.clientId) {
          return oauthError(res, 400, "invalid_grant", "The refresh token is not valid");
        }
        entry.state = "used"; // rotation: each refresh token works once
        return json(res, 200, await issueGrant(entry, entry.clientId === DEMO_CONNVO_CLIENT_ID));
      }
      case TOKEN_EXCHANGE_GRANT: {
        if (client.clientSecret === undefined)
          return oauthError(res, 401, "invalid_client", "Token exchange needs a confidential client");
        if (params.get("subject_token_type") !== ACCESS_TOKEN_TYPE) {
          return oauthError(res, 400, "invalid_request", "subject_token_type must be an access token");
        }
        const subject = await verifyOwn(params.get("subject_token") ?? "");
        if (!subject || typeof subject.sub !== "string")
          return oauthError(res, 400, "invalid_grant", "The subject token is not valid");
        const audience = params.get("audience") ?? params.get("resource") ?? "";
        if (!exchangeAudiences.includes(audience))
          return oauthError(res, 400, "invalid_target", "That audience is not registered");
        stats.exchanges += 1;
        exchangesBySub.set(subject.sub, (exchangesBySub.get(subject.sub) ?? 0) + 1);
        const left = typeof subject.exp === "number" ? subject.exp - Math.floor(now() / 1000) : exchangedTtl;
        const ttl = Math.max(1, Math.min(exchangedTtl, left));
        const exchanged = await sign(
          { sub: subject.sub, aud: audience, scope: subject.scope, act: { sub: client.clientId } },
          ttl,
        );
        return json(res, 200, {
          access_token: exchanged,
          issued_token_type: ACCESS_TOKEN_TYPE,
          token_type: "Bearer",
          expires_in: ttl,
        });
      }
      case DEVICE_CODE_GRANT: {
        const device = devices.get(params.get("device_code") ?? "");
        if (!device || device.clientId !== client.clientId)
          return oauthError(res, 400, "invalid_grant", "Unknown device code");
        if (device.expiresAt < now()) return oauthError(res, 400, "expired_token", "The device code has expired");
        if (device.state === "denied") return oauthError(res, 400, "access_denied", "The user declined");
        if (device.state === "done") return oauthError(res, 400, "invalid_grant", "The device code was used");
        if (device.state === "pending") return oauthError(res, 400, "authorization_pending", "Waiting for the user");
        device.state = "done";
        return json(
          res,
          200,
          await issueGrant(
            { sub: device.sub as string, clientId: client.clientId, scope: device.scope, aud: client.clientId },
            true,
          ),
        );
      }
      default:
        return oauthError(res, 400, "unsupported_grant_type", "Unsupported grant_type");
    }
  }

  async function register(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    } catch {
      return oauthError(res, 400, "invalid_client_metadata", "The body is not JSON");
    }
    const redirectUris = Array.isArray(body.redirect_uris)
      ? body.redirect_uris.filter((u): u is string => typeof u === "string")
      : [];
    if (redirectUris.length === 0 || !redirectUris.every((u) => URL.canParse(u))) {
      return oauthError(res, 400, "invalid_redirect_uri", "redirect_uris must be a list of URLs");
    }
    stats.registrations += 1;
    const method =
      typeof body.token_endpoint_auth_method === "string" ? body.token_endpoint_auth_method : "client_secret_basic";
    const client: Client = {
      clientId: `client_${random(10)}`,
      ...(method === "none" ? {} : { clientSecret: remember(random(24)) }),
      redirectUris,
      grantTypes: Array.isArray(body.grant_types)
        ? (body.grant_types as string[])
        : ["authorization_code", "refresh_token"],
      ...(typeof body.client_name === "string" ? { name: body.client_name.slice(0, 100) } : {}),
    };
    clients.set(client.clientId, client);
    json(res, 201, {
      ...body,
      client_id: client.clientId,
      client_id_issued_at: Math.floor(now() / 1000),
      ...(client.clientSecret ? { client_secret: client.clientSecret, client_secret_expires_at: 0 } : {}),
      redirect_uris: redirectUris,
      grant_types: client.grantTypes,
      token_endpoint_auth_method: method,
    });
  }

  function authorize(url: URL, res: ServerResponse) {
    const p = url.searchParams;
    const client = clients.get(p.get("client_id") ?? "");
    const redirectUri = p.get("redirect_uri") ?? "";
    if (!client?.redirectUris.includes(redirectUri)) {
      return html(res, 400, "Unknown client or redirect URI: nothing to send you back to.");
    }
    const back = (params: Record<string, string>) => {
      const target = new URL(redirectUri);
      for (const [k, v] of Object.entries(params)) target.searchParams.set(k, v);
      const state = p.get("state");
      if (state) target.searchParams.set("state", state);
      target.searchParams.set("iss", issuer);
      res.writeHead(302, { location: target.href, "cache-control": "no-store" });
      res.end();
    };
    if (p.get("response_type") !== "code") return back({ error: "unsupported_response_type" });
    const challenge = p.get("code_challenge");
    if (!challenge || p.get("code_challenge_method") !== "S256") {
      return back({ error: "invalid_request", error_description: "PKCE with S256 is required" });
    }
    const user = userFor(p.get("login_hint") ?? undefined);
    if (!user) return back({ error: "access_denied", error_description: "No such test user" });
    stats.authorizations += 1;
    const resource = p.get("resource") ?? undefined;
    const code = random(24);
    codes.set(code, {
      sub: user.sub,
      clientId: client.clientId,
      scope: grantedScope(p.get("scope")),
      aud: resource ?? client.clientId,
      redirectUri,
      challenge,
      ...(resource ? { resource } : {}),
      expiresAt: now() + 60_000,
    });
    back({ code });
  }

  async function deviceAuthorization(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const params = new URLSearchParams(await readBody(req));
    const client = clients.get(params.get("client_id") ?? "");
    if (!client?.grantTypes.includes(DEVICE_CODE_GRANT))
      return oauthError(res, 400, "invalid_client", "Unknown client");
    stats.deviceAuthorizations += 1;
    const letters = "BCDFGHJKLMNPQRSTVWXZ";
    const pick = () => Array.from(randomBytes(4), (b) => letters[b % letters.length]).join("");
    const device: DeviceEntry = {
      deviceCode: remember(random(32)),
      userCode: `${pick()}-${pick()}`,
      clientId: client.clientId,
      scope: params.get("scope") ?? "",
      expiresAt: now() + deviceTtl * 1000,
      state: "pending",
    };
    devices.set(device.deviceCode, device);
    json(res, 200, {
      device_code: device.deviceCode,
      user_code: device.userCode,
      verification_uri: `${issuer}/device`,
      verification_uri_complete: `${issuer}/device?user_code=${encodeURIComponent(device.userCode)}`,
      expires_in: deviceTtl,
      interval: deviceInterval,
    });
  }

  function approve(userCode: string, sub: string | undefined, deny = false): boolean {
    const device = [...devices.values()].find((d) => d.userCode === userCode && d.state === "pending");
    const user = userFor(sub);
    if (!device || device.expiresAt < now() || !user) return false;
    device.state = deny ? "denied" : "approved";
    device.sub = user.sub;
    return true;
  }

  async function revoke(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const params = new URLSearchParams(await readBody(req));
    stats.revocations += 1;
    const entry = refreshTokens.get(params.get("token") ?? "");
    if (entry) entry.state = "revoked";
    // RFC 7009 §2.2: 200 whether or not the token was known.
    res.writeHead(200, { "content-length": "0" });
    res.end();
  }

  function metadata(): Record<string, unknown> {
    return {
      issuer,
      authorization_endpoint: `${issuer}/oauth2/authorize`,
      token_endpoint: `${issuer}/oauth2/token`,
      registration_endpoint: `${issuer}/oauth2/register`,
      jwks_uri: `${issuer}/oauth2/jwks`,
      revocation_endpoint: `${issuer}/oauth2/revoke`,
      device_authorization_endpoint: `${issuer}/oauth2/device_authorization`,
      response_types_supported: ["code"],
      response_modes_supported: ["query"],
      grant_types_supported: ["authorization_code", "refresh_token", TOKEN_EXCHANGE_GRANT, DEVICE_CODE_GRANT],
      code_challenge_methods_supported: ["S256"],
      token_endpoint_auth_methods_supported: ["none", "client_secret_post", "client_secret_basic"],
      revocation_endpoint_auth_methods_supported: ["none", "client_secret_post", "client_secret_basic"],
      scopes_supported: SUPPORTED_SCOPES,
      authorization_response_iss_parameter_supported: true,
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", issuer);
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case "GET /.well-known/oauth-authorization-server":
      case "GET /.well-known/openid-configuration":
        return json(res, 200, metadata(), { "access-control-allow-origin": "*" });
      case "GET /oauth2/jwks":
        stats.jwksRequests += 1;
        if (jwksFault === "down") return json(res, 503, { error: "temporarily_unavailable" });
        if (jwksFault === "hang") return; // never answers; close() ends it
        return json(res, 200, { keys: keys.map((k) => k.publicJwk) });
      case "POST /oauth2/register":
        return register(req, res);
      case "GET /oauth2/authorize":
        return authorize(url, res);
      case "POST /oauth2/token":
      case "POST /user_management/authenticate":
        return token(req, res);
      case "POST /oauth2/device_authorization":
      case "POST /user_management/authorize/device":
        return deviceAuthorization(req, res);
      case "GET /device": {
        const userCode = url.searchParams.get("user_code");
        if (!userCode)
          return html(
            res,
            200,
            "Enter the code connvo-mcp login showed you: open this page with ?user_code=XXXX-XXXX.",
          );
        const ok = approve(
          userCode,
          url.searchParams.get("login_hint") ?? undefined,
          url.searchParams.get("deny") === "1",
        );
        return ok
          ? html(res, 200, "Signed in to the Connvo demo. You can close this tab and return to the terminal.")
          : html(res, 400, "That code is unknown, used or expired.");
      }
      case "POST /oauth2/revoke":
        return revoke(req, res);
      default:
        return json(res, 404, { error: "not_found" });
    }
  }

  let closing: Promise<void> | undefined;
  return {
    issuer,
    jwksUri: `${issuer}/oauth2/jwks`,
    tokenEndpoint: `${issuer}/oauth2/token`,
    serverClient,
    connvoClientId: DEMO_CONNVO_CLIENT_ID,
    users,
    stats,
    issued,
    exchangesBy: (sub) => exchangesBySub.get(sub) ?? 0,
    async rotateKeys(rotation = {}) {
      const kid = await addKey();
      if (rotation.dropOld) keys.splice(0, keys.length - 1);
      return kid;
    },
    issueToken(claims, issue = {}) {
      return sign(claims, issue.expiresInSec ?? accessTtl, issue.kid);
    },
    approveDevice: (userCode, sub) => approve(userCode, sub),
    revokeUser(sub) {
      for (const entry of refreshTokens.values()) if (entry.sub === sub) entry.state = "revoked";
    },
    setJwksFault(fault) {
      jwksFault = fault;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
