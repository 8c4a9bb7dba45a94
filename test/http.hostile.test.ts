/**
 * The HTTP transport from outside: bodies over the limit must arrive as 413 (not as a connection
 * reset), a Host header with userinfo is refused with 400 (not answered 500 with an error log
 * line), and a request whose body stalls is cut at the request deadline, not up to 30 s later.
 */
import { request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createHttpServer, DEFAULT_HTTP_TIMEOUTS } from "../src/transports/http.js";
import {
  connectClient,
  type HttpServerProcess,
  INITIALIZE_BODY,
  MCP_POST_HEADERS,
  rawRequest,
  spawnHttpServer,
} from "./helpers/httpServer.js";

// Spawned servers on a shared 2-core machine: generous bounds, never timings.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const SECRET = "hostile-http-secret-0123456789abcdef";
let open: HttpServerProcess;
let guarded: HttpServerProcess;

beforeAll(async () => {
  [open, guarded] = await Promise.all([
    spawnHttpServer({ args: ["--demo"] }),
    spawnHttpServer({ args: ["--demo"], env: { CONNVO_MCP_HTTP_TOKEN: SECRET } }),
  ]);
});
afterAll(async () => {
  await Promise.all([open?.stop(), guarded?.stop()]);
});

async function expectStillServes(server: HttpServerProcess, token?: string) {
  const client = await connectClient(server.url, "legacy", token);
  try {
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
  } finally {
    await client.close();
  }
}

describe("a body over the 1 MiB limit", () => {
  it("gets its 413, every time, with fetch sending 5 MB (never EPIPE or a reset)", async () => {
    const body = Buffer.alloc(5 * 1024 * 1024, "a");
    const statuses: (number | string)[] = [];
    for (let i = 0; i < 12; i++) {
      const outcome = await fetch(open.url, { method: "POST", headers: MCP_POST_HEADERS, body }).then(
        async (res) => {
          await res.arrayBuffer();
          return res.status;
        },
        (error: Error & { cause?: { code?: string } }) => `${error.message} ${error.cause?.code ?? ""}`,
      );
      statuses.push(outcome);
    }
    expect(statuses).toEqual(Array(12).fill(413));
    await expectStillServes(open);
  });

  it("also when the body is streamed without a length", async () => {
    const chunk = new Uint8Array(64 * 1024).fill(97);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 3 * 1024 * 1024) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const res = await fetch(open.url, {
      method: "POST",
      headers: MCP_POST_HEADERS,
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.text()).toMatch(/larger than 1048576 bytes/);
  });

  it("an unauthenticated client sending a large body reads its 401", async () => {
    const res = await fetch(guarded.url, {
      method: "POST",
      headers: MCP_POST_HEADERS,
      body: Buffer.alloc(4 * 1024 * 1024, "a"),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/Bearer realm="connvo-mcp"/);
    await expectStillServes(guarded, SECRET);
  });
});

describe("a Host header that is not a host", () => {
  it.each([
    "evil.com@localhost",
    "localhost:80@evil.com",
    "user:pass@127.0.0.1",
    "localhost/path",
    "localhost?x",
    "local host",
  ])("%s: 400, no error logged, and the server goes on", async (host) => {
    const before = open.stderr();
    const res = await rawRequest(open.origin, { headers: { ...MCP_POST_HEADERS, host }, body: INITIALIZE_BODY });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({
      error: { message: expect.stringMatching(/not a valid Host header/) },
    });
    expect(open.stderr().slice(before.length)).not.toMatch(/error/);
  });

  it("ordinary Host headers still work", async () => {
    for (const host of ["localhost", `127.0.0.1:${new URL(open.origin).port}`, "[::1]:8787", "LOCALHOST"]) {
      const res = await rawRequest(open.origin, { headers: { ...MCP_POST_HEADERS, host }, body: INITIALIZE_BODY });
      expect(res.status, host).toBe(200);
    }
    await expectStillServes(open);
  });
});

describe("a request whose body stalls", () => {
  it("is cut at the request deadline, checked every second (not every 30 s)", async () => {
    expect(DEFAULT_HTTP_TIMEOUTS.checkIntervalMs).toBeLessThanOrEqual(1000);
    const server = createHttpServer(
      (req, res) => {
        req.resume();
        req.on("end", () => res.end("done"));
      },
      { ...DEFAULT_HTTP_TIMEOUTS, headersTimeoutMs: 1000, requestTimeoutMs: 2000 },
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const started = Date.now();
      const outcome = await new Promise<string>((resolve) => {
        const req = httpRequest({
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/mcp",
          headers: { "content-length": "1000" },
        });
        req.on("response", (res) => resolve(String(res.statusCode)));
        req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
        req.write("a".repeat(10)); // and nothing more
      });
      expect(["408", "ECONNRESET", "socket hang up"]).toContain(outcome);
      // Node's own default would let it run on for up to 30 s more; the deadline is 2 s.
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
