/**
 * In stdio mode stdout is the protocol channel: every line must be a JSON-RPC message. And the
 * user's token must never appear anywhere: not on stdout, not on stderr, not in any result.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoDeployment, startDemoDeployment } from "../src/demo/deployment.js";
import { DEMO_MEETINGS, DEMO_MISSING_MEETING_ID, DEMO_TOKEN_CLAIMS, DEMO_USER_ID } from "../src/demo/seed.js";
import { impureStdoutLines, spawnStdioServer } from "./helpers/stdioServer.js";

// JWT-shaped so the demo accepts it, but not "eyJ…" (the headers start with a space), so only the
// registered-secret redaction can hide it, not the log's JWT pattern.
const MARKER = `canary${randomBytes(12).toString("hex")}`;
const part = (json: string) => Buffer.from(` ${json}`).toString("base64url");
const CANARY = `${part('{"alg":"none"}')}.${part(JSON.stringify({ ...DEMO_TOKEN_CLAIMS, jti: MARKER }))}.${MARKER}`;
let demo: DemoDeployment;

beforeAll(async () => {
  demo = await startDemoDeployment();
  demo.acceptToken(CANARY);
});
afterAll(() => demo?.close());

describe("a run with successes and every kind of error", () => {
  it("writes only JSON-RPC to stdout and never leaks the token", async () => {
    const server = await spawnStdioServer({
      env: { CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN: CANARY, CONNVO_TIMEOUT_MS: "1000", CONNVO_LOG_LEVEL: "debug" },
    });
    const results: unknown[] = [];
    const call = async (args: Record<string, unknown>) => {
      results.push(await server.client.callTool({ name: "get_active_sessions", arguments: args }));
    };
    try {
      results.push(await server.client.listTools());
      for (const meeting of Object.values(DEMO_MEETINGS)) await call({ meetingId: meeting.id, format: "detailed" });
      await call({ meetingId: DEMO_MISSING_MEETING_ID });
      await call({ meetingId: DEMO_USER_ID });
      await call({ meetingId: CANARY }); // the token typed as an argument must not be echoed either
      await call({ meetingId: 7 });
      for (const fault of [
        { kind: "unauthorizedExpired" },
        { kind: "status", status: 500, body: `{"echo":"${CANARY}"}` },
        { kind: "status", status: 429 },
        { kind: "malformed" },
        { kind: "wrongShape" },
        { kind: "badRows" },
        { kind: "hang" },
        { kind: "reset" },
        { kind: "convexError", code: "VALIDATION_ERROR", message: `bad token ${CANARY}` },
      ] as const) {
        demo.injectFault(fault);
        await call({ meetingId: DEMO_MEETINGS.healthy.id });
        demo.clearFaults();
      }
    } finally {
      await server.close();
    }
    expect(results.length).toBeGreaterThan(20);
    // The canary really was used: most seeded meetings answered successfully with it.
    const successes = results.filter((r) => (r as { structuredContent?: unknown }).structuredContent !== undefined);
    expect(successes.length).toBeGreaterThan(10);
    expect(server.transport.stdoutLines.length).toBeGreaterThan(20);
    expect(impureStdoutLines(server.transport.stdoutLines)).toEqual([]);
    expect(server.transport.stdoutLines.join("\n")).not.toContain(CANARY);
    expect(server.transport.stderr).not.toContain(CANARY);
    expect(JSON.stringify(results)).not.toContain(CANARY);
    expect(JSON.stringify(results)).not.toContain(MARKER);
    expect(server.transport.stderr).not.toContain(MARKER);
    expect(server.transport.stderr).not.toMatch(/unhandled|UnhandledPromiseRejection/i);
  });
});
