/**
 * The fault-injection suite: the real bundled server over stdio, a real MCP client, and the demo
 * deployment injecting each failure a Connvo backend (or the network in front of it) can produce.
 * For every fault: the right class of isError result, or success after a retry where a retry is
 * right (counted by the deployment), then a normal call that succeeds. Across the whole run: the
 * server stays up, stdout is pure JSON-RPC, no unhandled rejection is logged, and the canary
 * token never appears in stdout, stderr or any result.
 */
import { randomBytes } from "node:crypto";
import type { CallToolResult } from "@modelcontextprotocol/server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type DemoDeployment, type DemoFault, startDemoDeployment } from "../src/demo/deployment.js";
import { DEMO_MEETINGS, DEMO_TOKEN_CLAIMS, meetingIdFor } from "../src/demo/seed.js";
import { type ActiveSessionsSummary, activeSessionsSummarySchema } from "../src/summary/schema.js";
import { unusedPort } from "./helpers/ports.js";
import { expectToolError as expectError, resultText as text } from "./helpers/results.js";
import { impureStdoutLines, type SpawnedServer, spawnStdioServer } from "./helpers/stdioServer.js";

const TIMEOUT_MS = 1500;

/**
 * A token the demo deployment accepts (a JWT with its iss/aud) that the log's JWT pattern does
 * not match (its parts do not start with "eyJ": the JSON has a leading space), so only the
 * registered-secret redaction can hide it. Its signature part is a second canary.
 */
function canaryToken(): { token: string; marker: string } {
  const part = (json: string) => Buffer.from(` ${json}`).toString("base64url");
  const marker = `canary${randomBytes(12).toString("hex")}`;
  const claims = { ...DEMO_TOKEN_CLAIMS, jti: marker };
  return { token: `${part('{"alg":"none"}')}.${part(JSON.stringify(claims))}.${marker}`, marker };
}
const { token: CANARY, marker: MARKER } = canaryToken();
const HEALTHY = DEMO_MEETINGS.healthy.id;

let demo: DemoDeployment;
let server: SpawnedServer;
const results: unknown[] = [];

const call = async (args: Record<string, unknown>, s: SpawnedServer = server) => {
  const result = (await s.client.callTool({ name: "get_active_sessions", arguments: args })) as CallToolResult;
  results.push(result);
  return result;
};

async function expectHealthyCallWorks(s: SpawnedServer = server) {
  const result = await call({ meetingId: HEALTHY }, s);
  expect(result.isError ?? false, text(result)).toBe(false);
  expect((result.structuredContent as { meetingId?: string }).meetingId).toBe(HEALTHY);
}

function expectCleanRun(s: SpawnedServer) {
  expect(s.transport.exitCode).toBeNull(); // still running
  expect(impureStdoutLines(s.transport.stdoutLines)).toEqual([]);
  for (const secret of [CANARY, MARKER]) {
    expect(s.transport.stdoutLines.join("\n")).not.toContain(secret);
    expect(s.transport.stderr).not.toContain(secret);
    expect(JSON.stringify(results)).not.toContain(secret);
  }
  expect(s.transport.stderr).not.toMatch(/unhandled|UnhandledPromiseRejection|uncaught/i);
}

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

beforeAll(async () => {
  demo = await startDemoDeployment();
  demo.acceptToken(CANARY);
  server = await spawnStdioServer({
    env: {
      CONNVO_CONVEX_URL: demo.url,
      CONNVO_TOKEN: CANARY,
      CONNVO_TIMEOUT_MS: String(TIMEOUT_MS),
      CONNVO_LOG_LEVEL: "debug",
    },
  });
});
afterAll(async () => {
  await server?.close();
  await demo?.close();
});
afterEach(() => {
  demo.clearFaults();
  demo.resetStats();
});

type Case = [name: string, fault: DemoFault, outcome: RegExp | "success", requests: number | "several"];

const CASES: Case[] = [
  [
    "401 with an expiry body",
    { kind: "unauthorizedExpired", secondsAgo: 42 },
    /rejected the access token because it has expired \(Token expired 42 seconds ago\).*CONNVO_TOKEN/s,
    1,
  ],
  [
    "403-style ConvexError",
    { kind: "convexError", code: "FORBIDDEN", message: `Access denied ${CANARY}` },
    /not a participant of meeting/,
    1,
  ],
  [
    "404-style ConvexError",
    { kind: "convexError", code: "MEETING_NOT_FOUND", message: "Meeting not found" },
    /No meeting .* exists/,
    1,
  ],
  [
    "429 with a Retry-After past the deadline",
    { kind: "status", status: 429, retryAfter: "30" },
    /rate limiting.*Wait 30 s/,
    1,
  ],
  [
    "429 with a Retry-After within the deadline, once",
    { kind: "status", status: 429, retryAfter: "1", times: 1 },
    "success",
    2,
  ],
  [
    "429 without Retry-After, persistent",
    { kind: "status", status: 429 },
    /rate limiting.*Wait a few seconds.*tried \d+ times/s,
    "several",
  ],
  ["429 without Retry-After, once", { kind: "status", status: 429, times: 1 }, "success", 2],
  ["Convex's concurrency limit, twice", { kind: "concurrencyLimit", times: 2 }, "success", 3],
  ["500", { kind: "status", status: 500, body: `{"echo":"${CANARY}"}` }, /failed to answer \(HTTP 500\)/, 1],
  [
    "502, persistent",
    { kind: "status", status: 502 },
    /temporarily unavailable \(HTTP 502\).*tried \d+ times/s,
    "several",
  ],
  ["502, twice", { kind: "status", status: 502, times: 2 }, "success", 3],
  ["503, persistent", { kind: "status", status: 503 }, /temporarily unavailable \(HTTP 503\)/, "several"],
  ["503, once", { kind: "status", status: 503, times: 1 }, "success", 2],
  ["a hang past the deadline", { kind: "hang" }, new RegExp(`did not answer within ${TIMEOUT_MS / 1000} s`), 1],
  [
    "a reset mid-body, persistent",
    { kind: "reset" },
    /Could not reach .*\((connection closed mid-response|connection reset|network error)\).*tried/s,
    "several",
  ],
  ["a reset mid-body, once", { kind: "reset", times: 1 }, "success", 2],
  ["malformed JSON", { kind: "malformed" }, /not what its OpenAPI document promises.*not valid JSON/, 1],
  ["a wrong shape", { kind: "wrongShape" }, /not what its OpenAPI document promises.*not a list/, 1],
];

describe("each fault ends in the right result, and the next call succeeds", () => {
  it.each(CASES)("%s", async (_name, fault, outcome, requests) => {
    demo.injectFault(fault);
    const result = await call({ meetingId: HEALTHY });
    if (outcome === "success") {
      expect(result.isError ?? false, text(result)).toBe(false);
      activeSessionsSummarySchema.parse(result.structuredContent);
    } else {
      expectError(result, outcome);
    }
    if (requests === "several") expect(demo.stats.queryRequests).toBeGreaterThan(1);
    else expect(demo.stats.queryRequests).toBe(requests);
    demo.clearFaults();
    await expectHealthyCallWorks();
  });

  it("rows missing required fields are left out and counted", async () => {
    demo.injectFault({ kind: "badRows" });
    const summary = activeSessionsSummarySchema.parse((await call({ meetingId: HEALTHY })).structuredContent);
    expect(summary.counts.unreadableSessions).toBeGreaterThan(0);
    expect(summary.counts.participants).toBe(4);
  });
});

describe("huge answers (own servers: generating them takes the demo deployment a while)", () => {
  it("tens of thousands of sessions give a bounded summary in bounded time", async () => {
    const s = await spawnStdioServer({ env: { CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN: CANARY } });
    try {
      demo.injectFault({ kind: "huge", sessions: 20_000 });
      const started = performance.now();
      const result = await call({ meetingId: DEMO_MEETINGS.large.id, format: "detailed", limit: 200 }, s);
      const ms = performance.now() - started;
      const summary = activeSessionsSummarySchema.parse(result.structuredContent) as ActiveSessionsSummary;
      expect(summary.counts.sessions).toBe(20_000);
      expect(summary.participants.length).toBeLessThanOrEqual(200);
      expect(summary.omittedParticipants).toBe(summary.counts.participants - summary.participants.length);
      const bytes = JSON.stringify(result).length;
      expect(bytes).toBeLessThan(1024 * 1024);
      expect(ms).toBeLessThan(8000);
      console.info(
        `[measure] 20,000 sessions (${demo.stats.queryRequests} request): ${Math.round(ms)} ms, result ${bytes} bytes`,
      );
      demo.clearFaults();
      await expectHealthyCallWorks(s);
      expectCleanRun(s);
    } finally {
      await s.close();
    }
  });

  it("a body over CONNVO_MAX_RESPONSE_BYTES is refused while streaming, with an error that names the limit", async () => {
    const s = await spawnStdioServer({
      env: { CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN: CANARY, CONNVO_MAX_RESPONSE_BYTES: String(1024 * 1024) },
    });
    try {
      demo.injectFault({ kind: "huge", bytes: 3 * 1024 * 1024 });
      expectError(await call({ meetingId: HEALTHY }, s), /larger than 1 MB.*CONNVO_MAX_RESPONSE_BYTES/);
      expect(demo.stats.queryRequests).toBe(1);
      demo.clearFaults();
      await expectHealthyCallWorks(s);
      expectCleanRun(s);
    } finally {
      await s.close();
    }
  });
});

describe("shared calls and the concurrency cap over stdio", () => {
  it("100 identical concurrent calls make one backend request", async () => {
    demo.injectFault({ kind: "latency", ms: 300 });
    const all = await Promise.all(Array.from({ length: 100 }, () => call({ meetingId: HEALTHY })));
    expect(all.every((r) => !r.isError)).toBe(true);
    expect(demo.stats.queryRequests).toBe(1);
    console.info(`[measure] 100 identical concurrent calls -> ${demo.stats.queryRequests} backend request(s)`);
  });

  it("many different concurrent calls never exceed the default cap of 8", async () => {
    demo.injectFault({ kind: "latency", ms: 100 });
    const ids = Array.from({ length: 40 }, (_, i) => meetingIdFor(`cap-${i}`));
    const all = await Promise.all(ids.map((meetingId) => call({ meetingId })));
    expect(all.every((r) => r.isError && /No meeting/.test(text(r)))).toBe(true); // each reached the backend
    expect(demo.stats.queryRequests).toBe(40);
    expect(demo.stats.maxConcurrent).toBeLessThanOrEqual(8);
    console.info(`[measure] 40 different concurrent calls -> maxConcurrent ${demo.stats.maxConcurrent} (cap 8)`);
  });
});

describe("MCP cancellation over stdio", () => {
  it("aborts the backend request at once, and the server keeps serving", async () => {
    demo.injectFault({ kind: "hang" });
    const controller = new AbortController();
    const pending = server.client
      .callTool({ name: "get_active_sessions", arguments: { meetingId: HEALTHY } }, { signal: controller.signal })
      .then(
        () => "answered",
        () => "cancelled",
      );
    await waitFor(() => demo.stats.inFlight === 1);
    const started = performance.now();
    controller.abort();
    expect(await pending).toBe("cancelled");
    await waitFor(() => demo.stats.inFlight === 0); // the deployment saw the request go away
    expect(performance.now() - started).toBeLessThan(TIMEOUT_MS); // before the deadline could end it
    demo.clearFaults();
    await expectHealthyCallWorks();
  });
});

describe("connection refused, then the backend comes up", () => {
  it("says the connection was refused, and works once something listens", async () => {
    const port = await unusedPort();
    const url = `http://127.0.0.1:${port}`;
    const s = await spawnStdioServer({
      env: { CONNVO_CONVEX_URL: url, CONNVO_TOKEN: CANARY, CONNVO_TIMEOUT_MS: String(TIMEOUT_MS) },
    });
    let late: DemoDeployment | undefined;
    try {
      expectError(
        await call({ meetingId: HEALTHY }, s),
        /Could not reach Connvo's backend at .*\(connection refused\)/,
      );
      late = await startDemoDeployment({ port, tokens: [CANARY] });
      await expectHealthyCallWorks(s);
      expectCleanRun(s);
    } finally {
      await s.close();
      await late?.close();
    }
  });
});

describe("token sources over stdio", () => {
  it("CONNVO_TOKEN_COMMAND: a token refreshed after a 401; failures reported without the token", async () => {
    // The command echoes the token to stderr too, as a careless helper might.
    const command = `echo '${CANARY}'; echo "helper: issued ${CANARY}" >&2`;
    const s = await spawnStdioServer({
      env: {
        CONNVO_CONVEX_URL: demo.url,
        CONNVO_TOKEN_COMMAND: command,
        CONNVO_TIMEOUT_MS: String(TIMEOUT_MS),
        CONNVO_LOG_LEVEL: "debug",
      },
    });
    try {
      await expectHealthyCallWorks(s);
      demo.resetStats();
      demo.injectFault({ kind: "unauthorizedExpired" });
      expectError(await call({ meetingId: HEALTHY }, s), /expired.*CONNVO_TOKEN_COMMAND.*Run the command yourself/s);
      expect(demo.stats.queryRequests).toBe(1); // the command printed the same token: no pointless retry
      demo.clearFaults();
      await expectHealthyCallWorks(s);
      expectCleanRun(s);
    } finally {
      await s.close();
    }
  });

  it("CONNVO_TOKEN_FILE that does not exist: an actionable error, and the server stays up", async () => {
    const s = await spawnStdioServer({
      env: {
        CONNVO_CONVEX_URL: demo.url,
        CONNVO_TOKEN_FILE: "/nonexistent/connvo/token",
        CONNVO_TIMEOUT_MS: String(TIMEOUT_MS),
      },
    });
    try {
      expectError(
        await call({ meetingId: HEALTHY }, s),
        /CONNVO_TOKEN_FILE points at \/nonexistent\/connvo\/token, which does not exist/,
      );
      expect(demo.stats.queryRequests).toBe(0);
      expectCleanRun(s);
    } finally {
      await s.close();
    }
  });
});

describe("the whole run", () => {
  it("kept stdout pure, logged no unhandled rejection, and never leaked the canary", () => {
    expect(results.length).toBeGreaterThan(40);
    expectCleanRun(server);
  });
});
