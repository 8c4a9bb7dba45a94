/**
 * The HTTP surface checked with plain requests, no MCP client: what a browser page, a scanner or a
 * misconfigured client actually sends. One server with a shared secret and one configured for a
 * real deployment name and browser origin.
 */
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoDeployment, startDemoDeployment } from "../src/demo/deployment.js";
import {
  type HttpServerProcess,
  INITIALIZE_BODY,
  MCP_POST_HEADERS,
  type RawResponse,
  rawRequest,
  spawnHttpServer,
} from "./helpers/httpServer.js";

const SECRET = `secret-${randomBytes(16).toString("hex")}`;
const BEARER = { authorization: `Bearer ${SECRET}` };

let demo: DemoDeployment;
let server: HttpServerProcess;

beforeAll(async () => {
  demo = await startDemoDeployment();
  server = await spawnHttpServer({
    env: {
      CONNVO_CONVEX_URL: demo.url,
      CONNVO_TOKEN: demo.token,
      CONNVO_MCP_HTTP_TOKEN: SECRET,
      CONNVO_MCP_ALLOWED_HOSTS: "mcp.example.com",
      CONNVO_MCP_ALLOWED_ORIGINS: "https://app.example.com",
      CONNVO_LOG_LEVEL: "debug",
    },
  });
});
afterAll(async () => {
  await server?.stop();
  await demo?.close();
});

const post = (headers: Record<string, string>, body = INITIALIZE_BODY) =>
  rawRequest(server.origin, { headers: { ...MCP_POST_HEADERS, ...headers }, body });

function expectJsonRpcError(response: RawResponse, status: number) {
  expect(response.status, response.body).toBe(status);
  expect(JSON.parse(response.body)).toMatchObject({ jsonrpc: "2.0", error: { code: expect.any(Number) } });
}

describe("requests that get through", () => {
  it("initialize with the bearer secret answers 200 with the server's info", async () => {
    const response = await post(BEARER);
    expect(response.status, response.body).toBe(200);
    expect(response.body).toContain('"serverInfo"');
  });

  it("a lower-case 'bearer' scheme is accepted (schemes are case-insensitive)", async () => {
    expect((await post({ authorization: `bearer ${SECRET}` })).status).toBe(200);
  });

  it("a configured Host name (any port) and a configured browser origin are accepted", async () => {
    const response = await post({ ...BEARER, host: "mcp.example.com:443", origin: "https://app.example.com" });
    expect(response.status, response.body).toBe(200);
  });

  it("GET /healthz answers 200 without auth, whatever the Host (load balancer probes)", async () => {
    for (const headers of [{}, { host: "10.1.2.3:8787" }] as Record<string, string>[]) {
      const response = await rawRequest(server.origin, { method: "GET", path: "/healthz", headers });
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ status: "ok" });
    }
  });
});

describe("DNS rebinding and cross-site requests: 403", () => {
  it("refuses a foreign Origin, even with the right secret", async () => {
    expectJsonRpcError(await post({ ...BEARER, origin: "http://evil.example.com" }), 403);
  });

  it("refuses a configured origin's host on another scheme or port (origins match exactly)", async () => {
    expectJsonRpcError(await post({ ...BEARER, origin: "http://app.example.com" }), 403);
    expectJsonRpcError(await post({ ...BEARER, origin: "https://app.example.com:8443" }), 403);
  });

  it("refuses the opaque 'null' origin", async () => {
    expectJsonRpcError(await post({ ...BEARER, origin: "null" }), 403);
  });

  it("refuses a foreign Host (a rebound name), even with the right secret", async () => {
    expectJsonRpcError(await post({ ...BEARER, host: "evil.example.com" }), 403);
    expectJsonRpcError(await post({ ...BEARER, host: "evil.example.com:8787" }), 403);
  });

  it("checks Host/Origin before auth, so a rebinding page learns nothing about auth", async () => {
    const response = await post({ origin: "http://evil.example.com" });
    expect(response.status).toBe(403);
    expect(response.headers["www-authenticate"]).toBeUndefined();
  });
});

describe("auth: 401 with a Bearer challenge", () => {
  it("without an Authorization header (no error code, per RFC 6750)", async () => {
    const response = await post({});
    expectJsonRpcError(response, 401);
    expect(response.headers["www-authenticate"]).toMatch(/^Bearer realm="connvo-mcp"$/);
  });

  it.each([
    ["a wrong secret of the same length", `Bearer ${SECRET.slice(0, -1)}${SECRET.endsWith("a") ? "b" : "a"}`],
    ["a longer secret with the right prefix", `Bearer ${SECRET}0`],
    ["a short wrong secret", "Bearer x"],
    ["the secret under another scheme", `Basic ${SECRET}`],
    ["an empty bearer", "Bearer "],
  ])("with %s", async (_, authorization) => {
    const response = await post({ authorization });
    expect(response.status).toBe(401);
    expect(response.headers["www-authenticate"]).toMatch(/^Bearer realm="connvo-mcp"/);
    expect(response.body).not.toContain(SECRET);
  });

  it("names invalid_token when a wrong token was presented", async () => {
    const response = await post({ authorization: "Bearer not-the-secret-at-all" });
    expect(response.headers["www-authenticate"]).toMatch(/error="invalid_token"/);
  });
});

describe("limits and methods", () => {
  it("answers 413 to a body over the limit declared by Content-Length", async () => {
    const body = `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"${"a".repeat(1024 * 1024)}"}}`;
    expectJsonRpcError(await post(BEARER, body), 413);
  });

  it("answers 413 to a chunked body that grows over the limit", async () => {
    const response = await rawRequest(server.origin, {
      headers: { ...MCP_POST_HEADERS, ...BEARER },
      body: { chunkedBytes: 2 * 1024 * 1024 },
    });
    expect(response.status).toBe(413);
  });

  it("answers 405 to GET /mcp: no sessions, so no standalone stream", async () => {
    const response = await rawRequest(server.origin, {
      method: "GET",
      headers: { ...BEARER, accept: "text/event-stream" },
    });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toMatch(/POST/);
  });

  it("answers 404 elsewhere and 405 to POST /healthz", async () => {
    expect((await rawRequest(server.origin, { method: "GET", path: "/", headers: BEARER })).status).toBe(404);
    expect((await rawRequest(server.origin, { method: "POST", path: "/healthz", body: "{}" })).status).toBe(405);
  });
});

describe("logs", () => {
  it("never contain the shared secret, even for refused requests", () => {
    expect(server.stderr()).toMatch(/refused POST \/mcp/);
    expect(server.stderr()).not.toContain(SECRET);
  });
});

describe("malformed requests", () => {
  it("a request target that is not a URL gets 400 and the server keeps serving", async () => {
    const { port } = new URL(server.origin);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => {
        socket.write("GET http://[ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
      });
      let data = "";
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => {
        data += chunk;
      });
      socket.on("end", () => resolve(data));
      socket.on("error", reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect((await rawRequest(server.origin, { method: "GET", path: "/healthz" })).status).toBe(200);
  });
});
