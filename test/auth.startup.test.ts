/**
 * CONNVO_MCP_AUTH and its settings: a missing or contradictory setting refuses the start (exit
 * code 2) naming the variable and why; `connvo-mcp --demo --http --auth oauth` runs the whole flow
 * locally with a real SDK client (discovery from the 401, resource metadata, registration,
 * authorization with PKCE, token, call) against the spawned, bundled server.
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import { parseHttpConfig } from "../src/config/http.js";
import { type Era, runCli, spawnHttpServer } from "./helpers/httpServer.js";
import { connectWithOAuth, postMcp, TestOAuthProvider } from "./helpers/oauth.js";

const OAUTH_ENV = {
  CONNVO_MCP_AUTH: "oauth",
  CONNVO_MCP_PUBLIC_URL: "https://mcp.example.com/mcp",
  CONNVO_AUTH_ISSUER: "https://connvo.authkit.app",
  CONNVO_AUTH_CLIENT_ID: "client_mcp_server",
  CONNVO_AUTH_CLIENT_SECRET: "a-confidential-client-secret-value",
  CONNVO_CONVEX_AUDIENCE: "client_connvo",
};

const errorsOf = (env: Record<string, string>, flags = {}) => {
  const result = parseHttpConfig(env, flags);
  return result.ok ? [] : result.errors;
};

describe("settings", () => {
  it("a complete OAuth configuration is accepted, on any interface, and the public host is allowed", () => {
    const result = parseHttpConfig(OAUTH_ENV, { host: "0.0.0.0" });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.auth).toBe("oauth");
    expect(result.config.oauth).toMatchObject({
      publicUrl: OAUTH_ENV.CONNVO_MCP_PUBLIC_URL,
      issuer: OAUTH_ENV.CONNVO_AUTH_ISSUER,
    });
    expect(result.config.allowedHosts).toContain("mcp.example.com");
    expect(result.warnings.join(" ")).not.toMatch(/CONNVO_MCP_ALLOWED_HOSTS is not set/);
  });

  it.each(Object.keys(OAUTH_ENV).filter((k) => k !== "CONNVO_MCP_AUTH"))(
    "without %s: refused, naming it",
    (variable) => {
      const env: Record<string, string> = { ...OAUTH_ENV };
      delete env[variable];
      const errors = errorsOf(env);
      expect(errors.join("\n")).toMatch(new RegExp(`${variable} is not set`));
    },
  );

  it.each([
    [
      "a shared secret as well",
      { CONNVO_MCP_HTTP_TOKEN: "0123456789abcdef0123456789abcdef" },
      /contradicts CONNVO_MCP_HTTP_TOKEN/,
    ],
    [
      "a server token as well",
      { CONNVO_TOKEN: "eyJhbGciOi.x.y" },
      /CONNVO_TOKEN is set, but with CONNVO_MCP_AUTH=oauth/,
    ],
    [
      "a plain-http public URL off loopback",
      { CONNVO_MCP_PUBLIC_URL: "http://mcp.example.com/mcp" },
      /CONNVO_MCP_PUBLIC_URL must start with https/,
    ],
    [
      "a public URL with a query",
      { CONNVO_MCP_PUBLIC_URL: "https://mcp.example.com/mcp?x=1" },
      /without credentials, query or fragment/,
    ],
    [
      "a plain-http issuer",
      { CONNVO_AUTH_ISSUER: "http://connvo.authkit.app" },
      /CONNVO_AUTH_ISSUER must start with https/,
    ],
    [
      "the Convex audience equal to the public URL",
      { CONNVO_CONVEX_AUDIENCE: "https://mcp.example.com/mcp" },
      /CONNVO_CONVEX_AUDIENCE equals CONNVO_MCP_PUBLIC_URL/,
    ],
  ])("with %s: refused, saying why", (_name, extra, message) => {
    expect(errorsOf({ ...OAUTH_ENV, ...extra }).join("\n")).toMatch(message);
  });

  it("an unknown mode, secret without a secret, none with a secret: refused", () => {
    expect(errorsOf({}, { auth: "magic" }).join("\n")).toMatch(/must be one of none, secret, oauth/);
    expect(errorsOf({ CONNVO_MCP_AUTH: "secret" }).join("\n")).toMatch(
      /CONNVO_MCP_AUTH=secret needs CONNVO_MCP_HTTP_TOKEN/,
    );
    expect(errorsOf({ CONNVO_MCP_AUTH: "none", CONNVO_MCP_HTTP_TOKEN: "0123456789abcdef01" }).join("\n")).toMatch(
      /contradicts/,
    );
    // Today's modes are unchanged: no auth on loopback, the secret when it is set.
    expect(parseHttpConfig({})).toMatchObject({ ok: true, config: { auth: "none" } });
    expect(parseHttpConfig({ CONNVO_MCP_HTTP_TOKEN: "0123456789abcdef01" })).toMatchObject({
      ok: true,
      config: { auth: "secret" },
    });
  });

  it("the CLI refuses to start with exit code 2, naming every missing setting, and --auth needs --http", () => {
    const result = runCli(["--http", "--auth", "oauth"], {});
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    for (const variable of [
      "CONNVO_MCP_PUBLIC_URL",
      "CONNVO_AUTH_ISSUER",
      "CONNVO_AUTH_CLIENT_ID",
      "CONNVO_AUTH_CLIENT_SECRET",
      "CONNVO_CONVEX_AUDIENCE",
    ]) {
      expect(result.stderr).toContain(`${variable} is not set`);
    }
    const secret = runCli(["--http"], {
      ...OAUTH_ENV,
      CONNVO_AUTH_CLIENT_SECRET: "s3cr3t-value-never-printed",
      CONNVO_MCP_HTTP_TOKEN: "0123456789abcdef0123",
    });
    expect(secret.status).toBe(2);
    expect(secret.stderr).not.toContain("s3cr3t-value-never-printed");
    expect(runCli(["--auth", "oauth"], {}).status).toBe(2);
  });
});

describe.each<Era>(["legacy", "modern"])(
  "connvo-mcp --demo --http --auth oauth with a real SDK client (%s era)",
  (era) => {
    it("discovery from the 401, resource metadata, registration, authorization + PKCE, token, and calls as the signed-in user", async () => {
      const server = await spawnHttpServer({
        args: ["--demo", "--auth", "oauth"],
        env: { CONNVO_CACHE_TTL_MS: "5000" },
      });
      try {
        expect(server.stderr()).toMatch(
          /auth: oauth \(issuer http:\/\/127\.0\.0\.1:\d+, resource http:\/\/127\.0\.0\.1:\d+\/mcp\)/,
        );
        expect((await postMcp(server.url, undefined)).status).toBe(401);
        const alexAuth = new TestOAuthProvider();
        const priyaAuth = new TestOAuthProvider("priya");
        const alex = await connectWithOAuth(server.url, era, alexAuth);
        const priya = await connectWithOAuth(server.url, era, priyaAuth);
        try {
          expect(alexAuth.authorizations).toHaveLength(1);
          const authorization = alexAuth.authorizations[0] as URL;
          expect(authorization.searchParams.get("code_challenge_method")).toBe("S256");
          expect(authorization.searchParams.get("resource")).toBe(server.url);
          expect(authorization.searchParams.get("scope")).toContain("meetings:read");
          const me = (client: typeof alex.client) =>
            client.callTool({ name: "get_person", arguments: {} }) as Promise<CallToolResult>;
          const [alexMe, priyaMe] = await Promise.all([me(alex.client), me(priya.client)]);
          expect(JSON.stringify(alexMe.content)).toContain("Alex Morgan");
          expect(JSON.stringify(priyaMe.content)).toContain("Priya Raman");
          const lists = await Promise.all(
            [alex, priya, alex, priya].map(({ client }) =>
              client.callTool({ name: "list_meetings", arguments: { when: "all" } }),
            ),
          );
          expect(JSON.stringify(lists[0])).toContain("Acme Corp renewal call");
          expect(JSON.stringify(lists[1])).not.toContain("Acme Corp renewal call");
          // No token, incoming or exchanged, in the server's logs or in any answer.
          const tokens = [alexAuth.accessToken, priyaAuth.accessToken, ...alexAuth.saved.map((t) => t.refresh_token)];
          const seen = `${server.stderr()}${JSON.stringify([alexMe, priyaMe, lists])}`;
          for (const token of tokens) {
            expect(token).toBeTruthy();
            expect(seen).not.toContain(token as string);
          }
          expect(seen).not.toMatch(/eyJ[\w-]{10,}\.[\w-]{10,}/);
        } finally {
          await alex.client.close();
          await priya.client.close();
        }
      } finally {
        expect(await server.stop()).toBe(0);
      }
    });
  },
);
