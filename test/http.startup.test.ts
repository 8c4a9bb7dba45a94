/**
 * HTTP settings are startup errors: an unsafe or unusable configuration refuses to start with exit
 * code 2 and a message that says why, before anything listens. A safe one starts.
 */
import { randomBytes } from "node:crypto";
import { type AddressInfo, createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { INITIALIZE_BODY, MCP_POST_HEADERS, rawRequest, runCli, spawnHttpServer } from "./helpers/httpServer.js";

const SECRET = randomBytes(24).toString("hex");

function expectRefused(result: ReturnType<typeof runCli>, pattern: RegExp) {
  expect(result.status, result.stderr).toBe(2);
  expect(result.stdout).toBe("");
  expect(result.stderr).toMatch(/refusing to start the HTTP server|only apply with --http/);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/listening on/);
}

describe("refused at startup (exit 2)", () => {
  it("a non-loopback bind without auth, by flag or by env, and says what to do", () => {
    for (const [args, env] of [
      [["--http", "--host", "0.0.0.0"], {}],
      [["--http", "--host", "::"], {}],
      [["--http"], { CONNVO_MCP_HTTP_HOST: "0.0.0.0" }],
      [["--http", "--demo", "--host", "192.0.2.10"], {}],
    ] as const) {
      const result = runCli([...args, "--port", "0"], env);
      expectRefused(result, /Refusing to listen on .* without authentication/);
      expect(result.stderr).toMatch(/CONNVO_MCP_HTTP_TOKEN/);
      expect(result.stderr).toMatch(/127\.0\.0\.1/);
    }
  });

  it("a shared secret that is too short or not a bearer token, without echoing it", () => {
    for (const token of ["short-1234", "has spaces in the middle of it", ""]) {
      const result = runCli(["--http", "--port", "0"], { CONNVO_MCP_HTTP_TOKEN: token });
      expectRefused(result, /CONNVO_MCP_HTTP_TOKEN/);
      if (token) expect(result.stderr).not.toContain(token);
    }
  });

  it("a shared secret equal to the Connvo token (clients would hold Connvo credentials)", () => {
    const token = `eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.${SECRET}`;
    const result = runCli(["--http", "--port", "0"], { CONNVO_TOKEN: token, CONNVO_MCP_HTTP_TOKEN: token });
    expectRefused(result, /must not be your Connvo token/);
    expect(result.stderr).not.toContain(SECRET);
  });

  it("bad port, host, allowed hosts or origins", () => {
    expectRefused(runCli(["--http", "--port", "70000"]), /--port .* 0 to 65535/);
    expectRefused(runCli(["--http", "--port", "eighty"]), /--port/);
    expectRefused(runCli(["--http", "--host", "http://0.0.0.0:80"]), /--host .*no scheme or port/);
    expectRefused(
      runCli(["--http", "--port", "0"], { CONNVO_MCP_ALLOWED_HOSTS: "https://mcp.example.com" }),
      /CONNVO_MCP_ALLOWED_HOSTS/,
    );
    expectRefused(
      runCli(["--http", "--port", "0"], { CONNVO_MCP_ALLOWED_ORIGINS: "https://app.example.com/path" }),
      /CONNVO_MCP_ALLOWED_ORIGINS/,
    );
  });

  it("--host or --port without --http", () => {
    expectRefused(runCli(["--host", "127.0.0.1"]), /--host and --port only apply with --http/);
    expectRefused(runCli(["--port", "8787"]), /--host and --port only apply with --http/);
  });
});

describe("cannot listen", () => {
  it("a port already in use is a settings problem: exit 2 with the remedy, before anything starts", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = holder.address() as AddressInfo;
      const result = runCli(["--demo", "--http", "--port", String(port)]);
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr).toMatch(
        new RegExp(
          `refusing to start the HTTP server:\\n  - Port ${port} on 127\\.0\\.0\\.1 is already in use.*--port <port>.*--port 0`,
        ),
      );
      // Checked before the demo deployment (or anything else) started.
      expect(result.stderr).not.toMatch(/demo deployment listening/);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});

describe("starts", () => {
  it("on all interfaces when a shared secret is set, warns about allowed hosts, and serves", async () => {
    const server = await spawnHttpServer({
      args: ["--demo", "--host", "0.0.0.0"],
      env: { CONNVO_MCP_HTTP_TOKEN: SECRET },
    });
    try {
      expect(server.url).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/mcp$/);
      expect(server.stderr()).toMatch(/auth: bearer token/);
      expect(server.stderr()).toMatch(/CONNVO_MCP_ALLOWED_HOSTS is not set/);
      const local = server.origin.replace("0.0.0.0", "127.0.0.1");
      const ok = await rawRequest(local, {
        headers: { ...MCP_POST_HEADERS, authorization: `Bearer ${SECRET}` },
        body: INITIALIZE_BODY,
      });
      expect(ok.status, ok.body).toBe(200);
      const denied = await rawRequest(local, { headers: MCP_POST_HEADERS, body: INITIALIZE_BODY });
      expect(denied.status).toBe(401);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(server.stderr()).not.toContain(SECRET);
  });

  it("on loopback without auth (the developer setup), by default on 127.0.0.1", async () => {
    const server = await spawnHttpServer({ args: ["--demo"] });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      expect(server.stderr()).toMatch(/auth: none \(loopback only\)/);
      const ok = await rawRequest(server.origin, { headers: MCP_POST_HEADERS, body: INITIALIZE_BODY });
      expect(ok.status, ok.body).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
