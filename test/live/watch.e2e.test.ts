/**
 * watch_meeting end to end: a real MCP client over real stdio to the bundled CLI, which follows
 * the demo deployment over a real WebSocket (Convex's sync protocol, ConvexClient on our side).
 * Proves: snapshot then changes; no change means `changed: false` at waitSec even while
 * heartbeats arrive; 100 concurrent watchers of one meeting hold one Convex subscription; a
 * dropped WebSocket reconnects and the watch still answers; cancellation frees the subscription;
 * the HTTP fallback when no WebSocket opens; forged and stale cursors; caps; progress; shutdown
 * ends watches first; a rejected token; stdout purity and no token in any log.
 *
 * No timing is asserted: waits only separate "ends at the deadline" from "runs on", generously.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { Client } from "@modelcontextprotocol/client";
import { type CallToolResult, InMemoryTransport } from "@modelcontextprotocol/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { createBackendProvider } from "../../src/convex/provider.js";
import { type DemoDeployment, startDemoDeployment } from "../../src/demo/deployment.js";
import { DEMO_TOKEN_CLAIMS } from "../../src/demo/seed.js";
import { createLiveHub } from "../../src/live/hub.js";
import { createServerFactory } from "../../src/server.js";
import { selectTools } from "../../src/tools/inventory.js";
import { meetingState, writeCursor } from "../../src/tools/watch/state.js";
import type { WatchMeetingOutput } from "../../src/tools/watchMeeting.js";
import { connectClient, spawnHttpServer } from "../helpers/httpServer.js";
import { CLI, ROOT } from "../helpers/paths.js";
import { resultText } from "../helpers/results.js";
import { impureStdoutLines, spawnStdioServer } from "../helpers/stdioServer.js";
import { dataOf, startToolkit, type Toolkit } from "../helpers/toolkit.js";

const watchData = (result: CallToolResult) => dataOf<WatchMeetingOutput>(result);

async function waitUntil(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("watch_meeting over stdio and the demo's WebSocket", () => {
  let demo: DemoDeployment;
  let kit: Toolkit;

  beforeAll(async () => {
    // Heartbeats every 200 ms: the sync protocol pushes new timestamps that must not count as changes.
    demo = await startDemoDeployment({ liveEveryMs: 0, syncRefreshMs: 200 });
    kit = await startToolkit("stdio", { deployment: demo, env: { CONNVO_LOG_LEVEL: "debug" } });
  });
  afterAll(async () => {
    await kit?.close();
    await demo?.close();
  });

  it("answers a snapshot now, then the change as soon as it happens", async () => {
    const meetingId = demo.meetings.healthy;
    const snapshot = watchData(await kit.call("watch_meeting", { meetingId }));
    expect(snapshot).toMatchObject({ meetingId, changed: false, snapshot: true, changes: [], via: "subscription" });
    const today = dataOf<{ participants: { name: string; status: string }[] }>(
      await kit.call("get_active_sessions", { meetingId }),
    );
    expect(snapshot.summary.participants.map((p) => [p.name, p.status])).toEqual(
      today.participants.map((p) => [p.name, p.status]),
    );

    const started = Date.now();
    const waiting = kit.call("watch_meeting", { meetingId, since: snapshot.cursor, waitSec: 50 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const joined = demo.live.apply(meetingId, { kind: "join", name: "Ines Costa" });
    const result = await waiting;
    const answer = watchData(result);
    expect(answer.changed).toBe(true);
    expect(answer.changes).toEqual([
      expect.objectContaining({ kind: "joined", name: "Ines Costa", userId: joined.userId, to: "connecting" }),
    ]);
    expect(answer.summary.counts.byState.connecting).toBe(1);
    expect(resultText(result)).toMatch(/^1 change since .*: 1 joined\./);
    // It answered on the change, not at the deadline.
    expect(Date.now() - started).toBeLessThan(40_000);
  }, 60_000);

  it("answers changed: false at waitSec when nothing material changed, heartbeats notwithstanding", async () => {
    const meetingId = demo.meetings.dropped;
    const { cursor } = watchData(await kit.call("watch_meeting", { meetingId }));
    const transitions = demo.sync.stats.transitions;
    const started = Date.now();
    const answer = watchData(await kit.call("watch_meeting", { meetingId, since: cursor, waitSec: 2 }));
    const elapsed = Date.now() - started;
    expect(answer).toMatchObject({ changed: false, changes: [] });
    expect(answer.snapshot).toBeUndefined();
    // It waited for the deadline (and not much longer), while new timestamps kept arriving.
    expect(elapsed).toBeGreaterThanOrEqual(1_900);
    expect(elapsed).toBeLessThan(20_000);
    expect(demo.sync.stats.transitions).toBeGreaterThan(transitions);
  }, 30_000);

  it("holds one Convex subscription for 100 concurrent watchers of one meeting", async () => {
    const meetingId = demo.meetings.twoDevices;
    const { cursor } = watchData(await kit.call("watch_meeting", { meetingId }));
    const watchers = Array.from({ length: 100 }, () =>
      kit.call("watch_meeting", { meetingId, since: cursor, waitSec: 45 }),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(demo.sync.stats.byMeeting[meetingId]).toBe(1);
    expect(demo.sync.stats.connections).toBe(1);
    demo.live.apply(meetingId, { kind: "drop" });
    const answers = (await Promise.all(watchers)).map(watchData);
    expect(answers.every((a) => a.changed && a.changes.some((c) => c.kind === "dropped"))).toBe(true);
    expect(demo.sync.stats.byMeeting[meetingId]).toBe(1);
  }, 60_000);

  it("reconnects after the WebSocket drops, and the watch still answers", async () => {
    const meetingId = demo.meetings.stuckConnecting;
    const { cursor } = watchData(await kit.call("watch_meeting", { meetingId }));
    const waiting = kit.call("watch_meeting", { meetingId, since: cursor, waitSec: 50 });
    await waitUntil("the subscription", () => demo.sync.stats.byMeeting[meetingId] === 1);
    const connects = demo.sync.stats.connects;
    demo.sync.dropConnections();
    await waitUntil(
      "a new socket with the subscription",
      () => demo.sync.stats.connects > connects && demo.sync.stats.byMeeting[meetingId] === 1,
      30_000,
    );
    demo.live.apply(meetingId, { kind: "connect" });
    const answer = watchData(await waiting);
    expect(answer.changed).toBe(true);
    expect(answer.changes[0]).toMatchObject({ kind: "connected", name: "Aisha Bello" });
    expect(answer.via).toBe("subscription");
  }, 60_000);

  it("reports progress about every 10 s to a client that asked for it", async () => {
    const meetingId = demo.meetings.noQualityData;
    const { cursor } = watchData(await kit.call("watch_meeting", { meetingId }));
    const progress: { progress: number; total?: number }[] = [];
    const result = await kit.client.callTool(
      { name: "watch_meeting", arguments: { meetingId, since: cursor, waitSec: 11 } },
      { onprogress: (p) => progress.push(p) },
    );
    expect(watchData(result).changed).toBe(false);
    // One as the wait begins, then about every 10 s.
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[0]).toMatchObject({ progress: 0, total: 11 });
    expect(progress[1]).toMatchObject({ total: 11 });
    expect(progress[1]!.progress).toBeGreaterThanOrEqual(9);
  }, 40_000);

  it("answers a forged cursor with a clear error, and a stale one with a fresh snapshot", async () => {
    const meetingId = demo.meetings.healthy;
    const garbage = await kit.call("watch_meeting", { meetingId, since: "w1.abc.def" });
    expect(garbage.isError).toBe(true);
    expect(resultText(garbage)).toMatch(/^since: is not a cursor from watch_meeting/);
    const other = watchData(await kit.call("watch_meeting", { meetingId: demo.meetings.dropped }));
    const wrongMeeting = await kit.call("watch_meeting", { meetingId, since: other.cursor });
    expect(resultText(wrongMeeting)).toMatch(/cursor for another meeting/);
    const tampered = other.cursor.replace(/\.[^.]{3}/, ".zzz");
    expect((await kit.call("watch_meeting", { meetingId: demo.meetings.dropped, since: tampered })).isError).toBe(true);
    const twoDaysAgo = Date.now() - 2 * 24 * 3600_000;
    const stale = writeCursor(meetingId, twoDaysAgo, meetingState([], meetingId, twoDaysAgo));
    const fresh = watchData(await kit.call("watch_meeting", { meetingId, since: stale, waitSec: 30 }));
    expect(fresh).toMatchObject({ snapshot: true, changed: false });
    expect(resultText(await kit.call("watch_meeting", { meetingId, waitSec: 99 }))).toMatch(/waitSec/);
  }, 30_000);

  it("says who may not follow a meeting, as get_active_sessions does", async () => {
    const result = await kit.call("watch_meeting", { meetingId: demo.meetings.forbidden });
    expect(result.isError).toBe(true);
    expect(resultText(result)).toMatch(/not a participant|permission|access/i);
  });

  it("kept stdout to protocol messages and the token out of every log line", () => {
    const stderr = kit.stderr();
    expect(stderr).toMatch(/convex sync client/); // the client's logger went to stderr (debug level)
    expect(stderr).not.toContain(demo.token);
    expect(stderr).not.toContain(demo.token.split(".")[1] as string);
  });
});

describe("watch_meeting's lifecycle", () => {
  it("frees the subscription at once when the only watcher is cancelled", async () => {
    const demo = await startDemoDeployment({ liveEveryMs: 0 });
    const kit = await startToolkit("stdio", { deployment: demo });
    try {
      const meetingId = demo.meetings.healthy;
      // A cursor is self-contained: this one is made here, from the demo's rows, not by a watch
      // (whose subscription would linger for a next call), so the only watcher is the one cancelled.
      const now = Date.now();
      const rows = demo.world.meetings.get(meetingId)?.sessions?.(now) ?? [];
      const cursor = writeCursor(meetingId, now, meetingState(rows, meetingId, now));
      const controller = new AbortController();
      const waiting = kit.client.callTool(
        { name: "watch_meeting", arguments: { meetingId, since: cursor, waitSec: 50 } },
        { signal: controller.signal },
      );
      await waitUntil("the subscription", () => demo.sync.stats.byMeeting[meetingId] === 1);
      controller.abort();
      await expect(waiting).rejects.toThrow();
      await waitUntil("the subscription to close", () => demo.sync.stats.subscriptions === 0, 10_000);
      await waitUntil("the socket to close", () => demo.sync.stats.connections === 0, 10_000);
      // The server keeps serving.
      expect(watchData(await kit.call("watch_meeting", { meetingId })).snapshot).toBe(true);
    } finally {
      await kit.close();
      await demo.close();
    }
  }, 60_000);

  it("falls back to polling the HTTP query when no WebSocket opens", async () => {
    const demo = await startDemoDeployment({ liveEveryMs: 0 });
    demo.sync.setAccepting(false);
    const kit = await startToolkit("stdio", { deployment: demo });
    try {
      const meetingId = demo.meetings.healthy;
      const snapshot = watchData(await kit.call("watch_meeting", { meetingId }));
      expect(snapshot).toMatchObject({ snapshot: true, via: "polling" });
      const waiting = kit.call("watch_meeting", { meetingId, since: snapshot.cursor, waitSec: 40 });
      await new Promise((resolve) => setTimeout(resolve, 500));
      demo.live.apply(meetingId, { kind: "drop" });
      const answer = watchData(await waiting);
      expect(answer).toMatchObject({ changed: true, via: "polling" });
      expect(answer.changes[0]?.kind).toBe("dropped");
      expect(demo.sync.stats.refused).toBeGreaterThan(0);
      expect(demo.stats.byFunction["meetings/webrtc/index:getActiveSessions"]).toBeGreaterThan(1);
    } finally {
      await kit.close();
      await demo.close();
    }
  }, 60_000);

  it("caps watches per caller and meetings per caller, with a clear error past them", async () => {
    const demo = await startDemoDeployment({ liveEveryMs: 0 });
    const live = createLiveHub({ limits: { maxWatchesPerCaller: 2, maxSubscriptionsPerCaller: 1, lingerMs: 0 } });
    const factory = createServerFactory({
      backendFor: createBackendProvider(loadConfig({ CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN: demo.token })),
      tools: selectTools().tools,
      live,
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await factory().connect(serverSide);
    const client = new Client({ name: "caps", version: "0" });
    await client.connect(clientSide);
    const call = (args: Record<string, unknown>) =>
      client.callTool({ name: "watch_meeting", arguments: args }) as Promise<CallToolResult>;
    try {
      const meetingId = demo.meetings.healthy;
      const { cursor } = watchData(await call({ meetingId }));
      const first = call({ meetingId, since: cursor, waitSec: 30 });
      const second = call({ meetingId, since: cursor, waitSec: 30 });
      await waitUntil("two watches", () => live.stats.watches === 2);
      const third = await call({ meetingId, since: cursor, waitSec: 30 });
      expect(third.isError).toBe(true);
      expect(resultText(third)).toMatch(/already has 2 watches open/);
      const elsewhere = await call({ meetingId: demo.meetings.dropped });
      expect(resultText(elsewhere)).toMatch(/already has 2 watches open|follows 1 meetings/);
      demo.live.apply(meetingId, { kind: "drop" });
      expect(watchData(await first).changed).toBe(true);
      expect(watchData(await second).changed).toBe(true);
      await waitUntil("the watches to end", () => live.stats.watches === 0);
      // Shutdown ends what is left at once, and refuses new watches.
      const pending = call({ meetingId, since: watchData(await call({ meetingId })).cursor, waitSec: 50 });
      await waitUntil("a watch", () => live.stats.watches === 1);
      await live.shutdown();
      expect(watchData(await pending).changed).toBe(false);
      expect((await call({ meetingId })).isError).toBe(true);
    } finally {
      await client.close();
      await live.shutdown();
      await demo.close();
    }
  }, 60_000);

  it("tells a caller whose token the deployment refuses over the WebSocket", async () => {
    const demo = await startDemoDeployment({ liveEveryMs: 0 });
    const encode = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const stranger = `${encode({ alg: "none", typ: "JWT" })}.${encode({ ...DEMO_TOKEN_CLAIMS, sub: "someone" })}.nope`;
    const server = await spawnStdioServer({
      env: { CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN: stranger, CONNVO_LOG_LEVEL: "debug" },
    });
    try {
      const result = (await server.client.callTool({
        name: "watch_meeting",
        arguments: { meetingId: demo.meetings.healthy },
      })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(resultText(result)).toMatch(/could not validate the access token/i);
      expect(impureStdoutLines(server.transport.stdoutLines)).toEqual([]);
      expect(server.transport.stderr).not.toContain(stranger);
      expect(server.transport.stdoutLines.join("\n")).not.toContain(stranger);
    } finally {
      await server.close();
      await demo.close();
    }
  }, 60_000);

  it("ends watches first on SIGTERM over HTTP, so draining does not wait for them", async () => {
    const demo = await startDemoDeployment({ liveEveryMs: 0 });
    const server = await spawnHttpServer({ env: { CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN: demo.token } });
    const client = await connectClient(server.url, "legacy");
    try {
      const meetingId = demo.meetings.healthy;
      const call = (args: Record<string, unknown>) =>
        client.callTool({ name: "watch_meeting", arguments: args }) as Promise<CallToolResult>;
      const { cursor } = watchData(await call({ meetingId }));
      // The snapshot's subscription lingers, so the demo's count cannot tell that the waiting call
      // has reached the server; its first progress notification (sent as the wait begins) can.
      let progressed = 0;
      const waiting = client.callTool(
        { name: "watch_meeting", arguments: { meetingId, since: cursor, waitSec: 50 } },
        { onprogress: () => progressed++ },
      ) as Promise<CallToolResult>;
      await waitUntil("the wait to begin", () => progressed > 0);
      const stoppedAt = Date.now();
      server.child.kill("SIGTERM");
      expect(watchData(await waiting).changed).toBe(false);
      expect(await server.exited).toBe(0);
      expect(Date.now() - stoppedAt).toBeLessThan(30_000);
    } finally {
      await client.close().catch(() => undefined);
      await server.stop();
      await demo.close();
    }
  }, 60_000);

  it("ends watches first when the stdio client closes the session", async () => {
    const demo = await startDemoDeployment({ liveEveryMs: 0 });
    const child = spawn(process.execPath, [CLI], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN: demo.token },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const responses = new Map<number, Record<string, unknown>>();
    createInterface({ input: child.stdout }).on("line", (line) => {
      const message = JSON.parse(line) as { id?: number };
      if (typeof message.id === "number") responses.set(message.id, message);
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const send = (message: Record<string, unknown>) =>
      child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", ...message })}\n`);
    try {
      send({
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "0" } },
      });
      await waitUntil("initialize", () => responses.has(1));
      send({ method: "notifications/initialized" });
      const meetingId = demo.meetings.healthy;
      send({ id: 2, method: "tools/call", params: { name: "watch_meeting", arguments: { meetingId } } });
      await waitUntil("the snapshot", () => responses.has(2));
      const cursor = (responses.get(2) as { result: { structuredContent: { cursor: string } } }).result
        .structuredContent.cursor;
      send({
        id: 3,
        method: "tools/call",
        params: { name: "watch_meeting", arguments: { meetingId, since: cursor, waitSec: 50 } },
      });
      await waitUntil("the subscription", () => demo.sync.stats.byMeeting[meetingId] === 1);
      const closedAt = Date.now();
      child.stdin.end();
      expect(await exited).toBe(0);
      // It answered the watch (unchanged) and exited long before the watch's 50 s.
      expect(
        (responses.get(3) as { result: { structuredContent: { changed: boolean } } }).result.structuredContent.changed,
      ).toBe(false);
      expect(Date.now() - closedAt).toBeLessThan(30_000);
    } finally {
      child.kill("SIGKILL");
      await demo.close();
    }
  }, 60_000);
});
