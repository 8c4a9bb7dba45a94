/**
 * OAuth test kit: a real MCP SDK client's OAuth provider (dynamic registration, authorization
 * code + PKCE against the local authorization server, whose consent is automatic), and an
 * in-process "world": the local authorization server, the demo deployment trusting it the way
 * Connvo's convex/auth.config.ts trusts WorkOS, and connvo-mcp's HTTP app as the protected
 * resource in between, all on loopback with one adjustable clock.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  Client,
  type OAuthClientProvider,
  StreamableHTTPClientTransport,
  UnauthorizedError,
} from "@modelcontextprotocol/client";
import { serverTokens } from "../../src/auth/serverTokens.js";
import { loadConfig } from "../../src/config/config.js";
import { type HttpConfig, parseHttpConfig } from "../../src/config/http.js";
import { createBackendProvider } from "../../src/convex/provider.js";
import { type DemoDeployment, startDemoDeployment } from "../../src/demo/deployment.js";
import {
  type DemoAuthServer,
  type DemoAuthServerOptions,
  startDemoAuthServer,
} from "../../src/demo/oauth/authServer.js";
import { createServerFactory } from "../../src/server.js";
import { selectTools } from "../../src/tools/inventory.js";
import { createHttpApp, type HttpApp } from "../../src/transports/http/app.js";
import { identifyHttpCaller } from "../../src/transports/http/auth.js";
import { type Era, MODERN_VERSION } from "./httpServer.js";

type Stored = Parameters<OAuthClientProvider["saveTokens"]>[0];
type Info = Parameters<NonNullable<OAuthClientProvider["saveClientInformation"]>>[0];
type Discovery = Parameters<NonNullable<OAuthClientProvider["saveDiscoveryState"]>>[0];

/** An interactive OAuth client as a desktop MCP client is one, with the browser step automated. */
export class TestOAuthProvider implements OAuthClientProvider {
  private info: Info | undefined;
  private stored: Stored | undefined;
  private verifier = "";
  private discovery: Discovery | undefined;
  /** The callback's query (code, state, iss) after the last authorization. */
  callback: URLSearchParams | undefined;
  /** Authorization URLs visited (the browser step). */
  readonly authorizations: URL[] = [];
  readonly saved: Stored[] = [];

  constructor(private readonly loginHint?: string) {}

  get redirectUrl(): string {
    return "http://127.0.0.1:9/oauth/callback";
  }

  get clientMetadata() {
    return {
      client_name: "connvo-mcp tests",
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }

  clientInformation() {
    return this.info;
  }
  saveClientInformation(info: Info) {
    this.info = info;
  }
  tokens() {
    return this.stored;
  }
  saveTokens(tokens: Stored) {
    this.stored = tokens;
    this.saved.push(tokens);
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  saveDiscoveryState(state: Discovery) {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery;
  }
  invalidateCredentials(scope: "all" | "client" | "tokens" | "verifier" | "discovery") {
    if (scope === "all" || scope === "tokens") this.stored = undefined;
    if (scope === "all" || scope === "client") this.info = undefined;
    if (scope === "all" || scope === "discovery") this.discovery = undefined;
  }

  /** The browser: the authorization server consents at once and redirects back with a code. */
  async redirectToAuthorization(url: URL): Promise<void> {
    const visited = new URL(url);
    if (this.loginHint) visited.searchParams.set("login_hint", this.loginHint);
    this.authorizations.push(visited);
    const response = await fetch(visited, { redirect: "manual" });
    const location = response.headers.get("location");
    if (response.status !== 302 || !location) throw new Error(`authorization answered ${response.status}`);
    this.callback = new URL(location).searchParams;
  }

  get accessToken(): string | undefined {
    return this.stored?.access_token;
  }
}

function newClient(era: Era): Client {
  return new Client(
    { name: "connvo-mcp-oauth-tests", version: "0.0.0" },
    { versionNegotiation: { mode: era === "legacy" ? "legacy" : { pin: MODERN_VERSION } } },
  );
}

/**
 * The whole flow a real client runs: a request without a token gets 401, the client discovers
 * the resource metadata and the authorization server, registers, authorizes (PKCE), gets a token,
 * and connects again with it.
 */
export async function connectWithOAuth(
  url: string,
  era: Era,
  provider: TestOAuthProvider,
): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
  const first = newClient(era);
  try {
    await first.connect(transport);
    return { client: first, transport };
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
  }
  if (!provider.callback) throw new Error("no authorization callback");
  await transport.finishAuth(provider.callback);
  const again = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
  const client = newClient(era);
  await client.connect(again);
  return { client, transport: again };
}

/** A clock tests move forward; everything in the world reads it. */
export function adjustableClock() {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance(ms: number) {
      offset += ms;
    },
  };
}

export interface OAuthWorld {
  url: string;
  origin: string;
  as: DemoAuthServer;
  demo: DemoDeployment;
  app: HttpApp;
  config: HttpConfig;
  clock: ReturnType<typeof adjustableClock>;
  close(): Promise<void>;
}

export async function startOAuthWorld(
  options: {
    env?: Record<string, string>;
    authServer?: DemoAuthServerOptions;
    jwksCooldownMs?: number;
    enableWrites?: boolean;
  } = {},
): Promise<OAuthWorld> {
  const clock = adjustableClock();
  const as = await startDemoAuthServer({ now: clock.now, ...options.authServer });
  const demo = await startDemoDeployment({
    now: clock.now,
    jwtProviders: [{ issuer: as.issuer, jwksUrl: as.jwksUri, applicationID: as.connvoClientId }],
  });
  let app: HttpApp | undefined;
  const server: Server = createServer((req, res) => app?.listener(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const url = `${origin}/mcp`;
  const parsed = parseHttpConfig({
    CONNVO_MCP_AUTH: "oauth",
    CONNVO_MCP_PUBLIC_URL: url,
    CONNVO_AUTH_ISSUER: as.issuer,
    CONNVO_AUTH_CLIENT_ID: as.serverClient.clientId,
    CONNVO_AUTH_CLIENT_SECRET: as.serverClient.clientSecret,
    CONNVO_CONVEX_AUDIENCE: as.connvoClientId,
  });
  if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
  const config: HttpConfig = {
    ...parsed.config,
    oauth: {
      ...(parsed.config.oauth as NonNullable<HttpConfig["oauth"]>),
      now: clock.now,
      ...(options.jwksCooldownMs !== undefined ? { jwksCooldownMs: options.jwksCooldownMs } : {}),
    },
  };
  const loaded = loadConfig({ CONNVO_CONVEX_URL: demo.url, ...options.env });
  const { config: serverConfig, tokens } = await serverTokens(loaded, { oauth: true });
  const backendFor = createBackendProvider(serverConfig, { tokens, retryBaseDelayMs: 5 });
  const tools = selectTools({ enableWrites: options.enableWrites ?? false }).tools;
  const factory = createServerFactory({ backendFor, identify: identifyHttpCaller, tools, now: clock.now });
  app = createHttpApp(factory, config);
  const built = app;
  return {
    url,
    origin,
    as,
    demo,
    app: built,
    config,
    clock,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await built.close();
      await demo.close();
      await as.close();
    },
  };
}

/** A raw POST of one JSON-RPC message to /mcp (a 2025-era initialize unless told otherwise). */
export async function postMcp(
  url: string,
  token: string | undefined,
  body: unknown = {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
  },
): Promise<{ status: number; wwwAuthenticate: string | null; retryAfter: string | null; text: string }> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-11-25",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    wwwAuthenticate: response.headers.get("www-authenticate"),
    retryAfter: response.headers.get("retry-after"),
    text: await response.text(),
  };
}
