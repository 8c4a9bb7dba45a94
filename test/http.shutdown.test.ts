/**
 * SIGTERM/SIGINT: stop accepting, let calls in flight finish, exit 0; and a request that would never
 * finish is cut off at the deadline instead of keeping the process alive.
 */
import { request as httpRequest } from "node:http";
import type { CallToolResult } from "@modelcontextprotocol/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoDeployment, startDemoDeployment } from "../src/demo/deployment.js";
import { DEMO_MEETINGS } from "../src/demo/seed.js";
import { activeSessionsSummarySchema } from "../src/summary/schema.js";
import { connectClient, INITIALIZE_BODY, MCP_POST_HEADERS, rawRequest, spawnHttpServer } from "./helpers/httpServer.js";

let demo: DemoDeployment;
beforeAll(async () => {
  demo = await startDemoDeployment();
});
afterAll(() => demo?.close());

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe("graceful shutdown", () => {
  it.each(["SIGTERM", "SIGINT"] as const)(
    "%s: calls in flight in both eras complete, new connections are refused, exit 0",
    async (signal) => {
      const server = await spawnHttpServer({
        env: { CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN: demo.token, CONNVO_TIMEOUT_MS: "8000" },
      });
      const clients = await Promise.all([connectClient(server.url, "legacy"), connectClient(server.url, "modern")]);
      demo.resetStats();
      demo.injectFault({ kind: "latency", ms: 1500 });
      try {
        // Different meetings: identical concurrent calls would share one backend request.
        const meetings = [DEMO_MEETINGS.healthy.id, DEMO_MEETINGS.dropped.id];
        const calls = clients.map(
          (client, i) =>
            client.callTool({
              name: "get_active_sessions",
              arguments: { meetingId: meetings[i] },
            }) as Promise<CallToolResult>,
        );
        // Both calls have reached the backend: they are really in flight when the signal arrives.
        await until(() => demo.stats.inFlight === 2, "both calls to reach the backend");
        server.child.kill(signal);
        await until(() => server.stderr().includes(`${signal}: no longer accepting`), "the server to start draining");
        expect(server.stderr()).toMatch(/waiting for 2 request\(s\) in flight/);

        await expect(rawRequest(server.origin, { headers: MCP_POST_HEADERS, body: INITIALIZE_BODY })).rejects.toThrow(
          /ECONNREFUSED/,
        );

        const results = await Promise.all(calls);
        results.forEach((result, i) => {
          expect(result.isError ?? false).toBe(false);
          expect(activeSessionsSummarySchema.parse(result.structuredContent).meetingId).toBe(meetings[i]);
        });
        expect(await server.exited).toBe(0);
        expect(server.stderr()).toMatch(/HTTP server stopped/);
        expect(server.stderr()).not.toMatch(/still in flight after/);
      } finally {
        demo.clearFaults();
        await Promise.allSettled(clients.map((c) => c.close()));
        await server.stop();
      }
    },
    20_000,
  );

  it("a request that never completes is cut off at the deadline, and the exit is still 0", async () => {
    // The deadline is the backend timeout plus 2 s; the smallest timeout keeps this test short.
    const server = await spawnHttpServer({
      env: {
        CONNVO_CONVEX_URL: demo.url,
        CONNVO_TOKEN: demo.token,
        CONNVO_TIMEOUT_MS: "100",
        CONNVO_LOG_LEVEL: "debug",
      },
    });
    // Headers sent, body never finished: in flight until the server gives up on it.
    const stalled = httpRequest(new URL(server.url), {
      method: "POST",
      headers: { ...MCP_POST_HEADERS, "content-length": "1000" },
      agent: false,
    });
    stalled.on("error", () => {}); // the cut-off is the point
    stalled.write('{"jsonrpc":"2.0",');
    try {
      await until(() => server.stderr().includes("POST /mcp started"), "the stalled request to arrive");
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      expect(server.stderr()).toMatch(/1 request\(s\) still in flight after 2100 ms; closing their connections/);
    } finally {
      stalled.destroy();
      await server.stop();
    }
  }, 20_000);
});
