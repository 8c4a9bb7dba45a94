/**
 * End to end over Streamable HTTP: the bundled server spawned with `--http`, real SDK v2 clients of
 * both protocol eras (2025 `initialize` and pinned 2026-07-28), against the embedded demo
 * deployment running in this test process.
 */
import { randomBytes } from "node:crypto";
import type { Client } from "@modelcontextprotocol/client";
import type { CallToolResult } from "@modelcontextprotocol/server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type DemoDeployment, startDemoDeployment } from "../src/demo/deployment.js";
import { DEMO_MEETINGS, DEMO_MISSING_MEETING_ID, DEMO_TOKEN, makeGeneratedMeeting } from "../src/demo/seed.js";
import { activeSessionsSummarySchema } from "../src/summary/schema.js";
import {
  connectClient,
  type Era,
  type HttpServerProcess,
  MODERN_VERSION,
  spawnHttpServer,
} from "./helpers/httpServer.js";
import { expectToolError as expectError, resultText as text } from "./helpers/results.js";

// The demo deployment only takes JWT-shaped tokens with its claims; the signature is the canary.
const CANARY_SIGNATURE = `canary${randomBytes(12).toString("hex")}`;
const CONNVO_CANARY = `${DEMO_TOKEN.split(".").slice(0, 2).join(".")}.${CANARY_SIGNATURE}`;
// Not JWT-shaped on purpose: only registering it as a secret can keep it out of logs.
const HTTP_CANARY = `http-canary-${randomBytes(16).toString("hex")}`;
const ERAS: Era[] = ["legacy", "modern"];

/** One generated meeting per concurrent client; a meeting of i+1 sessions tells the answers apart. */
const CONCURRENT = 64;
const concurrentMeetings = Object.fromEntries(
  Array.from({ length: CONCURRENT }, (_, i) => [
    `concurrent${i}`,
    makeGeneratedMeeting(`concurrent${i}`, i + 1, "healthy"),
  ]),
);

let demo: DemoDeployment;
let open: HttpServerProcess;
let authed: HttpServerProcess;
const clients: Client[] = [];
const results: unknown[] = [];

const env = () => ({
  CONNVO_CONVEX_URL: demo.url,
  CONNVO_TOKEN: CONNVO_CANARY,
  CONNVO_TIMEOUT_MS: "5000",
  CONNVO_LOG_LEVEL: "debug",
});

async function connect(server: HttpServerProcess, era: Era, token?: string): Promise<Client> {
  const client = await connectClient(server.url, era, token);
  clients.push(client);
  return client;
}

async function call(client: Client, args: Record<string, unknown>): Promise<CallToolResult> {
  const result = (await client.callTool({ name: "get_active_sessions", arguments: args })) as CallToolResult;
  results.push(result);
  return result;
}

beforeAll(async () => {
  demo = await startDemoDeployment({ extraMeetings: concurrentMeetings });
  // The demo accepts only the server's Connvo token: a call that succeeds proves the backend
  // got that token and not the client's HTTP secret.
  demo.revokeToken(demo.token);
  demo.acceptToken(CONNVO_CANARY);
  [open, authed] = await Promise.all([
    spawnHttpServer({ env: env() }),
    spawnHttpServer({ env: { ...env(), CONNVO_MCP_HTTP_TOKEN: HTTP_CANARY } }),
  ]);
}, 20_000);

afterEach(() => demo.clearFaults());

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled([open?.stop(), authed?.stop()]);
  await demo?.close();
});

describe.each(ERAS)("a %s-era client", (era) => {
  it("negotiates its era and lists get_active_sessions", async () => {
    const client = await connect(open, era);
    expect(client.getProtocolEra()).toBe(era);
    if (era === "modern") expect(client.getNegotiatedProtocolVersion()).toBe(MODERN_VERSION);
    else expect(client.getNegotiatedProtocolVersion()).toBe("2025-11-25");
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain("get_active_sessions");
    expect(tools.find((t) => t.name === "get_active_sessions")?.inputSchema.required).toEqual(["meetingId"]);
  });

  it("summarises a live meeting from the demo deployment", async () => {
    const client = await connect(open, era);
    const result = await call(client, { meetingId: DEMO_MEETINGS.healthy.id });
    expect(result.isError ?? false, text(result)).toBe(false);
    const summary = activeSessionsSummarySchema.parse(result.structuredContent);
    expect(summary.meetingId).toBe(DEMO_MEETINGS.healthy.id);
    expect(summary.counts.participants).toBe(4);
    expect(text(result)).toContain(DEMO_MEETINGS.healthy.id);
  });

  it("answers errors as isError results and keeps serving", async () => {
    const client = await connect(open, era);
    expectError(await call(client, { meetingId: DEMO_MEETINGS.forbidden.id }), /not a participant of meeting/);
    expectError(await call(client, { meetingId: "standup-tuesday" }), /not a Connvo meeting ID/);
    expectError(await call(client, { meetingId: DEMO_MISSING_MEETING_ID }), /No meeting .* exists/);
    expectError(await call(client, { meetingId: 42 }), /meetingId/);
    demo.injectFault({ kind: "status", status: 503 });
    expectError(await call(client, { meetingId: DEMO_MEETINGS.healthy.id }), /temporarily unavailable \(HTTP 503\)/);
    demo.clearFaults();
    expect((await call(client, { meetingId: DEMO_MEETINGS.dropped.id })).isError ?? false).toBe(false);
  });

  it("with CONNVO_MCP_HTTP_TOKEN, connects with the secret and calls with the server's Connvo token", async () => {
    const client = await connect(authed, era, HTTP_CANARY);
    const result = await call(client, { meetingId: DEMO_MEETINGS.twoDevices.id });
    expect(result.isError ?? false, text(result)).toBe(false);
    expect(activeSessionsSummarySchema.parse(result.structuredContent).counts.sessions).toBe(4);
    // A secret typed as an argument is not echoed back.
    expectError(await call(client, { meetingId: HTTP_CANARY }), /not a Connvo meeting ID/);
  });

  it("with CONNVO_MCP_HTTP_TOKEN, a client without it or with a wrong one cannot connect", async () => {
    // The legacy client surfaces the 401 body, the modern one the status.
    await expect(connectClient(authed.url, era)).rejects.toThrow(/needs an Authorization: Bearer header|HTTP 401/);
    await expect(connectClient(authed.url, era, `${HTTP_CANARY}x`)).rejects.toThrow(
      /bearer token is not valid|HTTP 401/,
    );
  });
});

describe("64 concurrent clients", () => {
  it("all get the answer for their own meeting", async () => {
    // Slow backend answers make the calls overlap instead of finishing one by one.
    demo.injectFault({ kind: "latency", ms: 200 });
    demo.resetStats();
    const outcomes = await Promise.all(
      Array.from({ length: CONCURRENT }, async (_, i) => {
        const meetingId = concurrentMeetings[`concurrent${i}`]?.id ?? "";
        // Both servers (open and token), both eras.
        const server = i % 2 === 0 ? open : authed;
        const client = await connect(
          server,
          i % 4 < 2 ? "legacy" : "modern",
          server === authed ? HTTP_CANARY : undefined,
        );
        return { i, meetingId, result: await call(client, { meetingId }) };
      }),
    );
    for (const { i, meetingId, result } of outcomes) {
      expect(result.isError ?? false, text(result)).toBe(false);
      const summary = activeSessionsSummarySchema.parse(result.structuredContent);
      expect(summary.meetingId).toBe(meetingId);
      expect(summary.counts.sessions).toBe(i + 1);
    }
    expect(demo.stats.queryRequests).toBe(CONCURRENT);
    expect(demo.stats.maxConcurrent).toBeGreaterThan(1);
  }, 30_000);
});

describe("secrets", () => {
  it("neither the Connvo token nor the HTTP secret appears in logs or results", () => {
    expect(results.length).toBeGreaterThan(20);
    for (const server of [open, authed]) {
      expect(server.stderr()).toMatch(/listening on/);
      expect(server.stderr()).not.toContain(CANARY_SIGNATURE);
      expect(server.stderr()).not.toContain(HTTP_CANARY);
    }
    const all = JSON.stringify(results);
    expect(all).not.toContain(CANARY_SIGNATURE);
    expect(all).not.toContain(HTTP_CANARY);
  });
});
