/**
 * The pieces of the HTTP transport that decide who gets in, tested directly: configuration rules,
 * the bearer check, the Host/Origin guard and the identity mapping.
 */
import type { ServerContext } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import { DEFAULT_HTTP_HOST, DEFAULT_HTTP_PORT, isLoopbackHost, parseHttpConfig } from "../src/config/http.js";
import { createAuthenticator, identifyHttpCaller } from "../src/transports/http/auth.js";
import { createRequestGuard } from "../src/transports/http/guards.js";

const SECRET = "0123456789abcdef0123456789abcdef";

function ok(result: ReturnType<typeof parseHttpConfig>) {
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result;
}

function errors(result: ReturnType<typeof parseHttpConfig>): string {
  expect(result.ok).toBe(false);
  return result.ok ? "" : result.errors.join("\n");
}

describe("parseHttpConfig", () => {
  it("defaults to 127.0.0.1:8787 without auth, accepting only loopback hosts and origins", () => {
    const { config, warnings } = ok(parseHttpConfig({}));
    expect(config).toMatchObject({
      host: DEFAULT_HTTP_HOST,
      port: DEFAULT_HTTP_PORT,
      token: undefined,
      loopback: true,
    });
    expect(config.allowedHosts.sort()).toEqual(["127.0.0.1", "[::1]", "localhost"]);
    expect(config.allowedOrigins.sort()).toEqual(["127.0.0.1", "[::1]", "localhost"]);
    expect(warnings).toEqual([]);
  });

  it("flags win over the environment", () => {
    const { config } = ok(
      parseHttpConfig(
        { CONNVO_MCP_HTTP_HOST: "0.0.0.0", CONNVO_MCP_HTTP_PORT: "9000" },
        { host: "127.0.0.2", port: "0" },
      ),
    );
    expect(config).toMatchObject({ host: "127.0.0.2", port: 0, loopback: true });
    expect(config.allowedHosts).toContain("127.0.0.2");
  });

  it("treats every loopback form as loopback and nothing else", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST", "::ffff:127.0.0.1"]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of [
      "0.0.0.0",
      "::",
      "10.0.0.1",
      "192.168.1.5",
      "example.com",
      "localhost.example.com",
      "::ffff:10.0.0.1",
    ]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it("refuses a non-loopback bind without a token, and says why and what to do", () => {
    for (const host of ["0.0.0.0", "::", "10.0.0.1", "mcp.internal"]) {
      const text = errors(parseHttpConfig({}, { host }));
      expect(text).toMatch(/Refusing to listen on .* without authentication/);
      expect(text).toMatch(/CONNVO_MCP_HTTP_TOKEN/);
    }
  });

  it("allows a non-loopback bind with a token, warning when no allowed host names are set", () => {
    const bare = ok(parseHttpConfig({ CONNVO_MCP_HTTP_TOKEN: SECRET }, { host: "0.0.0.0" }));
    expect(bare.config.token).toBe(SECRET);
    expect(bare.warnings.join("\n")).toMatch(/CONNVO_MCP_ALLOWED_HOSTS is not set/);
    const named = ok(
      parseHttpConfig(
        { CONNVO_MCP_HTTP_TOKEN: SECRET, CONNVO_MCP_ALLOWED_HOSTS: " MCP.Example.com, mcp2.example.com" },
        { host: "0.0.0.0" },
      ),
    );
    expect(named.warnings).toEqual([]);
    expect(named.config.allowedHosts).toEqual(
      expect.arrayContaining(["mcp.example.com", "mcp2.example.com", "localhost"]),
    );
    expect(named.config.allowedHosts).not.toContain("0.0.0.0");
  });

  it("refuses weak, malformed or reused secrets without echoing them", () => {
    for (const token of ["", "   ", "short", "has a space in it somewhere", "tab\tinside-0123456789"]) {
      const text = errors(parseHttpConfig({ CONNVO_MCP_HTTP_TOKEN: token }));
      expect(text).toMatch(/CONNVO_MCP_HTTP_TOKEN/);
      if (token.trim()) expect(text).not.toContain(token.trim());
    }
    expect(errors(parseHttpConfig({ CONNVO_MCP_HTTP_TOKEN: SECRET }, {}, SECRET))).toMatch(
      /must not be your Connvo token/,
    );
  });

  it("validates port, host and the allowlists", () => {
    for (const port of ["-1", "65536", "80.5", "http", "0x50"])
      expect(errors(parseHttpConfig({}, { port }))).toMatch(/--port/);
    expect(ok(parseHttpConfig({}, { port: "65535" })).config.port).toBe(65535);
    expect(errors(parseHttpConfig({}, { host: "127.0.0.1:80" }))).toMatch(/--host/);
    expect(errors(parseHttpConfig({ CONNVO_MCP_ALLOWED_HOSTS: "mcp.example.com:443" }))).toMatch(
      /CONNVO_MCP_ALLOWED_HOSTS/,
    );
    expect(errors(parseHttpConfig({ CONNVO_MCP_ALLOWED_ORIGINS: "https://app.example.com/x" }))).toMatch(
      /CONNVO_MCP_ALLOWED_ORIGINS/,
    );
    const { config } = ok(
      parseHttpConfig({ CONNVO_MCP_ALLOWED_ORIGINS: "https://App.Example.com:443, tools.example.com" }),
    );
    expect(config.allowedOrigins).toEqual(expect.arrayContaining(["https://app.example.com", "tools.example.com"]));
  });
});

describe("the bearer check", () => {
  const authenticate = createAuthenticator(SECRET);

  it("accepts exactly the secret, under a case-insensitive Bearer scheme", () => {
    for (const authorization of [`Bearer ${SECRET}`, `bearer ${SECRET}`, `BEARER  ${SECRET}`]) {
      const outcome = authenticate({ authorization });
      expect(outcome.ok, authorization).toBe(true);
      if (outcome.ok) expect(outcome.authInfo?.extra).toEqual({ caller: "shared-secret" });
    }
  });

  it("refuses anything else with a Bearer challenge", () => {
    for (const authorization of [
      undefined,
      "",
      "Bearer",
      "Bearer ",
      `Basic ${SECRET}`,
      `Bearer ${SECRET}x`,
      `Bearer ${SECRET.slice(1)}`,
      `Bearer ${SECRET} extra`,
    ]) {
      const outcome = authenticate({ authorization });
      expect(outcome.ok, String(authorization)).toBe(false);
      if (!outcome.ok) {
        expect(outcome.status).toBe(401);
        expect(outcome.wwwAuthenticate).toMatch(/^Bearer realm="connvo-mcp"/);
        expect(outcome.message).not.toContain(SECRET);
      }
    }
  });

  it("without a secret (loopback only) lets every request through as nobody in particular", () => {
    expect(createAuthenticator(undefined)({})).toEqual({ ok: true });
  });
});

describe("the Host/Origin guard", () => {
  const guard = createRequestGuard(
    ["localhost", "127.0.0.1", "[::1]", "mcp.example.com"],
    ["localhost", "127.0.0.1", "[::1]", "https://app.example.com"],
  );

  it("accepts allowed hosts on any port, and requests without Origin", () => {
    for (const host of ["localhost:8787", "127.0.0.1", "[::1]:1234", "MCP.example.com"])
      expect(guard({ host }).ok, host).toBe(true);
  });

  it("refuses other or missing hosts", () => {
    for (const host of [undefined, "", "evil.example.com", "mcp.example.com.evil.com", "127.0.0.1.nip.io"]) {
      expect(guard({ host }).ok, String(host)).toBe(false);
    }
  });

  it("accepts loopback origins on any port and configured origins exactly", () => {
    for (const origin of [
      "http://localhost:5173",
      "http://127.0.0.1",
      "https://app.example.com",
      "https://app.example.com:443",
    ]) {
      expect(guard({ host: "localhost", origin }).ok, origin).toBe(true);
    }
    for (const origin of [
      "http://app.example.com",
      "https://app.example.com:8443",
      "https://evil.example.com",
      "null",
      "not a url",
    ]) {
      expect(guard({ host: "localhost", origin }).ok, origin).toBe(false);
    }
  });
});

describe("identifyHttpCaller", () => {
  const ctx = (authInfo?: unknown) =>
    ({ http: authInfo === undefined ? undefined : { authInfo } }) as unknown as ServerContext;

  it("maps no AuthInfo to the local user and the shared secret's AuthInfo to shared-secret", () => {
    expect(identifyHttpCaller(ctx())).toEqual({ kind: "local" });
    const outcome = createAuthenticator(SECRET)({ authorization: `Bearer ${SECRET}` });
    expect(outcome.ok && identifyHttpCaller(ctx(outcome.authInfo))).toEqual({ kind: "shared-secret" });
  });

  it("fails closed on an AuthInfo it does not recognise", () => {
    expect(() => identifyHttpCaller(ctx({ token: "t", clientId: "someone", scopes: [] }))).toThrow(
      /unrecognised caller/,
    );
    expect(() =>
      identifyHttpCaller(
        ctx({ token: "t", clientId: "connvo-mcp-shared-secret", scopes: [], extra: { caller: "user" } }),
      ),
    ).toThrow(/unrecognised caller/);
  });
});
