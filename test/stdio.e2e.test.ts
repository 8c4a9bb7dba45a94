/**
 * End to end over stdio: the bundled server, spawned as a desktop client would, with a real MCP
 * client, against the embedded demo deployment on loopback speaking Convex's wire protocol.
 */
import { spawnSync } from "node:child_process";
import type { CallToolResult } from "@modelcontextprotocol/server";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type DemoDeployment, startDemoDeployment } from "../src/demo/deployment.js";
import { DEMO_MEETINGS, DEMO_MISSING_MEETING_ID, DEMO_USER_ID } from "../src/demo/seed.js";
import { operation } from "../src/openapi/registry.js";
import { activeSessionsSummarySchema } from "../src/summary/schema.js";
import { CLI } from "./helpers/paths.js";
import { unusedPort } from "./helpers/ports.js";
import { expectToolError as expectError, resultText as text } from "./helpers/results.js";
import { type SpawnedServer, spawnStdioServer } from "./helpers/stdioServer.js";

const TIMEOUT_MS = 1500;

let demo: DemoDeployment;
let server: SpawnedServer;

const call = (args: Record<string, unknown>, s: SpawnedServer = server) =>
  s.client.callTool({ name: "get_active_sessions", arguments: args }) as Promise<CallToolResult>;

async function expectHealthyCallWorks(s: SpawnedServer = server) {
  const result = await call({ meetingId: DEMO_MEETINGS.healthy.id }, s);
  expect(result.isError ?? false, text(result)).toBe(false);
  expect((result.structuredContent as { meetingId?: string } | undefined)?.meetingId).toBe(DEMO_MEETINGS.healthy.id);
}

beforeAll(async () => {
  demo = await startDemoDeployment();
  server = await spawnStdioServer({
    env: { CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN: demo.token, CONNVO_TIMEOUT_MS: String(TIMEOUT_MS) },
  });
});
afterAll(async () => {
  await server?.close();
  await demo?.close();
});
afterEach(() => demo.clearFaults());

describe("tools/list over stdio", () => {
  it("advertises get_active_sessions with the OpenAPI-derived schema and explicit annotations", async () => {
    const { tools } = await server.client.listTools();
    expect(tools.map((t) => t.name)).toContain("get_active_sessions");
    const tool = tools.find((t) => t.name === "get_active_sessions");
    if (!tool) throw new Error("get_active_sessions is not listed");
    expect(tool.title).toBeTruthy();
    expect(tool.inputSchema.properties?.meetingId).toEqual(
      operation("meetings/webrtc/index:getActiveSessions").argsSchema.properties?.meetingId,
    );
    expect(tool.inputSchema.required).toEqual(["meetingId"]);
    expect(tool.annotations).toMatchObject({
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: true,
    });
    expect(tool.outputSchema?.type).toBe("object");
    expect(tool.outputSchema?.properties).toHaveProperty("participants");
  });
});

describe("successful calls", () => {
  it("summarises a healthy call: structured content and the same data in text", async () => {
    const result = await call({ meetingId: DEMO_MEETINGS.healthy.id });
    expect(result.isError ?? false).toBe(false);
    const summary = activeSessionsSummarySchema.parse(result.structuredContent);
    expect(summary.counts.participants).toBe(4);
    expect(summary.counts.byState.connected).toBe(4);
    expect(summary.counts.needAttention).toBe(0);
    expect(summary.participants.map((p) => p.userId)).toContain(DEMO_USER_ID);
    for (const p of summary.participants) expect(text(result)).toContain(p.userId);
    expect(text(result)).toContain(DEMO_MEETINGS.healthy.id);
  });

  it("groups one person on two devices and puts a poor connection first", async () => {
    const two = activeSessionsSummarySchema.parse(
      (await call({ meetingId: DEMO_MEETINGS.twoDevices.id })).structuredContent,
    );
    expect(two.counts.participants).toBe(3);
    expect(two.counts.sessions).toBe(4);
    expect(two.participants.filter((p) => p.sessions === 2)).toHaveLength(1);

    const poor = activeSessionsSummarySchema.parse(
      (await call({ meetingId: DEMO_MEETINGS.poorConnection.id })).structuredContent,
    );
    expect(poor.participants[0]?.quality).toBe("poor");
    expect(poor.participants[1]?.quality).toBe("fair");
    expect(poor.counts.needAttention).toBe(2);
  });

  it("bounds a 400-person meeting to the limit and says how many were left out", async () => {
    const result = await call({ meetingId: DEMO_MEETINGS.large.id, limit: 10 });
    const summary = activeSessionsSummarySchema.parse(result.structuredContent);
    expect(summary.participants).toHaveLength(10);
    expect(summary.omittedParticipants).toBe(summary.counts.participants - 10);
    expect(summary.counts.participants).toBeGreaterThan(300);
  });

  it("says plainly when a meeting is empty", async () => {
    const result = await call({ meetingId: DEMO_MEETINGS.empty.id });
    expect((result.structuredContent as { empty?: boolean } | undefined)?.empty).toBe(true);
    expect(text(result)).toMatch(/No one is in meeting/);
  });

  it("detailed format adds session rows; concise has no avatars or metadata", async () => {
    const concise = await call({ meetingId: DEMO_MEETINGS.healthy.id });
    expect(JSON.stringify(concise)).not.toMatch(/avatars\.connvo\.app|userAgent/);
    const detailed = activeSessionsSummarySchema.parse(
      (await call({ meetingId: DEMO_MEETINGS.healthy.id, format: "detailed" })).structuredContent,
    );
    expect(detailed.participants.every((p) => (p.sessionRows?.length ?? 0) >= 1)).toBe(true);
  });
});

describe("errors are isError results and the server keeps serving", () => {
  it("rejects a string that cannot be a meeting ID without calling the backend", async () => {
    demo.resetStats();
    expectError(await call({ meetingId: "standup-tuesday" }), /not a Connvo meeting ID.*No request was sent/s);
    expectError(
      await call({ meetingId: DEMO_MEETINGS.healthy.id.replace(/.$/, (c) => (c === "a" ? "b" : "a")) }),
      /checksum/,
    );
    expect(demo.stats.queryRequests).toBe(0);
    await expectHealthyCallWorks();
  });

  it("rejects wrong argument types through the schema", async () => {
    expectError(await call({ meetingId: 42 }), /meetingId/);
    expectError(await call({}), /meetingId/);
    expectError(await call({ meetingId: DEMO_MEETINGS.healthy.id, limit: 0 }), /limit/);
    await expectHealthyCallWorks();
  });

  it("maps Connvo's ConvexError codes", async () => {
    expectError(await call({ meetingId: DEMO_MEETINGS.forbidden.id }), /not a participant of meeting/);
    expectError(await call({ meetingId: DEMO_MISSING_MEETING_ID }), /No meeting .* exists/);
    for (const [code, pattern] of [
      ["UNAUTHORIZED", /did not recognise a signed-in user/],
      ["INSUFFICIENT_PERMISSIONS", /not a participant/],
      ["NOT_FOUND", /No meeting/],
      ["RATE_LIMIT_EXCEEDED", /rate limiting/],
      ["VALIDATION_ERROR", /rejected the arguments/],
    ] as const) {
      demo.injectFault({ kind: "convexError", code, message: `${code} from the backend` });
      expectError(await call({ meetingId: DEMO_MEETINGS.healthy.id }), pattern);
      demo.clearFaults();
    }
    await expectHealthyCallWorks();
  });

  it("maps Convex's ArgumentValidationError for an ID of another table", async () => {
    expectError(await call({ meetingId: DEMO_USER_ID }), /rejected the arguments.*ArgumentValidationError/s);
    await expectHealthyCallWorks();
  });

  it("maps an expired token (401 body) to a refresh instruction", async () => {
    demo.injectFault({ kind: "unauthorizedExpired" });
    expectError(await call({ meetingId: DEMO_MEETINGS.healthy.id }), /expired.*CONNVO_TOKEN/s);
    demo.clearFaults();
    await expectHealthyCallWorks();
  });

  it.each([
    [{ kind: "status", status: 429, retryAfter: "7" }, /rate limiting.*Wait 7 s/],
    [{ kind: "status", status: 503 }, /temporarily unavailable \(HTTP 503\)/],
    [{ kind: "status", status: 502 }, /temporarily unavailable \(HTTP 502\)/],
    [{ kind: "status", status: 500 }, /failed to answer \(HTTP 500\)/],
    [{ kind: "malformed" }, /not what its OpenAPI document promises.*not valid JSON/],
    [{ kind: "wrongShape" }, /not what its OpenAPI document promises.*not a list/],
    [{ kind: "hang" }, new RegExp(`did not answer within ${TIMEOUT_MS / 1000} s`)],
  ] as const)("maps fault %j", async (fault, pattern) => {
    demo.injectFault(fault as Parameters<DemoDeployment["injectFault"]>[0]);
    expectError(await call({ meetingId: DEMO_MEETINGS.healthy.id }), pattern);
    demo.clearFaults();
    await expectHealthyCallWorks();
  });
});

describe("configuration and network problems, each in its own server process", () => {
  async function withServer(env: Record<string, string>, fn: (s: SpawnedServer) => Promise<void>, args: string[] = []) {
    const s = await spawnStdioServer({ env: { CONNVO_TIMEOUT_MS: String(TIMEOUT_MS), ...env }, args });
    try {
      await fn(s);
    } finally {
      await s.close();
    }
    return s;
  }

  it("starts without a token, lists tools, and says which variable to set on every call", async () => {
    const s = await withServer({ CONNVO_CONVEX_URL: demo.url }, async (s) => {
      expect((await s.client.listTools()).tools.map((t) => t.name)).toContain("get_active_sessions");
      expectError(await call({ meetingId: DEMO_MEETINGS.healthy.id }, s), /CONNVO_TOKEN is not set/);
      expectError(await call({ meetingId: DEMO_MEETINGS.empty.id }, s), /CONNVO_TOKEN is not set/);
    });
    expect(s.transport.stderr.match(/CONNVO_TOKEN is not set/g)).toHaveLength(1);
  });

  it("reports contradictory deployment settings", async () => {
    await withServer(
      { CONNVO_TOKEN: demo.token, CONNVO_DEPLOYMENT: "staging", CONNVO_CONVEX_URL: demo.url },
      async (s) =>
        expectError(await call({ meetingId: DEMO_MEETINGS.healthy.id }, s), /point at different deployments/),
    );
  });

  it("reports a token the backend cannot validate", async () => {
    await withServer({ CONNVO_TOKEN: "not-a-jwt-at-all", CONNVO_CONVEX_URL: demo.url }, async (s) =>
      expectError(await call({ meetingId: DEMO_MEETINGS.healthy.id }, s), /could not validate the access token/),
    );
  });

  it("names the URL when the connection is refused", async () => {
    const url = `http://127.0.0.1:${await unusedPort()}`;
    await withServer({ CONNVO_TOKEN: demo.token, CONNVO_CONVEX_URL: url }, async (s) =>
      expectError(
        await call({ meetingId: DEMO_MEETINGS.healthy.id }, s),
        new RegExp(`Could not reach Connvo's backend at ${url.replace(/\./g, "\\.")} \\(connection refused\\)`),
      ),
    );
  });

  it("names the URL when DNS fails", async () => {
    await withServer({ CONNVO_TOKEN: demo.token, CONNVO_CONVEX_URL: "https://connvo-nonexistent.invalid" }, async (s) =>
      expectError(
        await call({ meetingId: DEMO_MEETINGS.healthy.id }, s),
        /Could not reach Connvo's backend at https:\/\/connvo-nonexistent\.invalid \((host name not found|DNS lookup failed)\)/,
      ),
    );
  });

  it("--demo serves the embedded deployment with no configuration at all", async () => {
    await withServer(
      {},
      async (s) => {
        const result = await call({ meetingId: DEMO_MEETINGS.dropped.id }, s);
        const summary = activeSessionsSummarySchema.parse(result.structuredContent);
        expect(summary.participants[0]?.status).toBe("disconnected");
        expect(summary.participants[0]?.attention?.join(" ")).toMatch(/dropped/);
      },
      ["--demo"],
    );
  });
});

describe("CLI", () => {
  it("--help and --version answer and exit 0", () => {
    const help = spawnSync(process.execPath, [CLI, "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: connvo-mcp/);
    const version = spawnSync(process.execPath, [CLI, "--version"], { encoding: "utf8" });
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("an unknown flag exits 2 with usage on stderr", () => {
    const bad = spawnSync(process.execPath, [CLI, "--nope"], { encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toMatch(/--help/);
  });
});
