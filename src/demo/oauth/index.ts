/**
 * `connvo-mcp --demo --http --auth oauth`: the whole sign-in on loopback. A local authorization
 * server (./authServer.ts) stands in for Connvo's WorkOS AuthKit; the demo deployment trusts it
 * the way Connvo's convex/auth.config.ts trusts WorkOS (issuer, audience = Connvo's client ID,
 * RS256 via its JWKS); connvo-mcp is the protected resource in between, exchanging each user's
 * token for one the demo deployment accepts.
 */
import type { OAuthSettings } from "../../auth/settings.js";
import type { JwtProvider } from "../auth.js";
import { type DemoAuthServer, startDemoAuthServer } from "./authServer.js";

export interface DemoOAuth {
  authServer: DemoAuthServer;
  /** For startDemoDeployment({ jwtProviders }). */
  providers: JwtProvider[];
  /** The HTTP server's OAuth settings; the public URL is the listener's own. */
  settings: OAuthSettings;
  close(): Promise<void>;
}

export async function startDemoOAuth(): Promise<DemoOAuth> {
  const authServer = await startDemoAuthServer();
  return {
    authServer,
    providers: [{ issuer: authServer.issuer, jwksUrl: authServer.jwksUri, applicationID: authServer.connvoClientId }],
    settings: {
      publicUrl: undefined,
      issuer: authServer.issuer,
      clientId: authServer.serverClient.clientId,
      clientSecret: authServer.serverClient.clientSecret,
      convexAudience: authServer.connvoClientId,
    },
    close: () => authServer.close(),
  };
}
