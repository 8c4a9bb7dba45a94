/**
 * The demo deployment's side of Convex's sync protocol, spoken by a raw `ws` client (no Convex
 * library, so the wire format itself is what is checked): Connect, Authenticate, ModifyQuerySet,
 * Transition (versions, u64 timestamps, QueryUpdated/QueryFailed/QueryRemoved), AuthError,
 * FatalError, Ping; the world changing on request and by itself while a meeting is followed;
 * the control routes; refused upgrades.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type DemoDeployment, startDemoDeployment } from "../../src/demo/deployment.js";
import { DEMO_MISSING_MEETING_ID } from "../../src/demo/seed.js";
import { createSyncServer } from "../../src/demo/sync.js";

type Message = Record<string, unknown> & { type: string };

class SyncSocket {
  readonly messages: Message[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      this.messages.push(JSON.parse(String(data)) as Message);
      for (const wake of this.waiters.splice(0)) wake();
    });
    ws.on("close", () => {
      this.closed = true;
      for (const wake of this.waiters.splice(0)) wake();
    });
  }
  static open(url: string): Promise<SyncSocket> {
    const ws = new WebSocket(url);
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(new SyncSocket(ws)));
      ws.once("error", reject);
    });
  }
  send(message: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(message));
  }
  /** The next message (after `from`) that matches, within a generous deadline. */
  async next(match: (m: Message) => boolean, from = 0, timeoutMs = 10_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(match);
      if (found) return found;
      if (this.closed || Date.now() > deadline)
        throw new Error(`no matching message; got ${JSON.stringify(this.messages).slice(0, 500)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }
  close(): void {
    this.ws.close();
  }
}

const syncUrl = (demo: DemoDeployment) => `${demo.url.replace(/^http/, "ws")}/api/1.48.0/sync`;
const decodeTs = (b64: unknown) => Buffer.from(String(b64), "base64").readBigUInt64LE();
const SESSIONS = "meetings/webrtc/index:getActiveSessions";

async function connected(demo: DemoDeployment, token: string | undefined = demo.token): Promise<SyncSocket> {
  const socket = await SyncSocket.open(syncUrl(demo));
  socket.send({
    type: "Connect",
    sessionId: "test-session",
    connectionCount: 0,
    lastCloseReason: "InitialConnect",
    clientTs: Date.now(),
  });
  if (token !== undefined) socket.send({ type: "Authenticate", tokenType: "User", value: token, baseVersion: 0 });
  return socket;
}

const add = (queryId: number, meetingId: string, baseVersion = 0) => ({
  type: "ModifyQuerySet",
  baseVersion,
  newVersion: baseVersion + 1,
  modifications: [{ type: "Add", queryId, udfPath: SESSIONS, args: [{ meetingId }] }],
});

let demo: DemoDeployment | undefined;
afterEach(async () => {
  await demo?.close();
  demo = undefined;
});

describe("the demo's sync protocol", () => {
  it("answers a subscription with a Transition, and pushes a new one when the world changes", async () => {
    demo = await startDemoDeployment({ liveEveryMs: 0, syncRefreshMs: 0 });
    const meetingId = demo.meetings.healthy;
    const socket = await connected(demo);
    const auth = await socket.next((m) => m.type === "Transition");
    expect(auth.startVersion).toMatchObject({ querySet: 0, identity: 0 });
    expect(auth.endVersion).toMatchObject({ querySet: 0, identity: 1 });
    socket.send(add(0, meetingId));
    const first = await socket.next((m) => m.type === "Transition" && (m.modifications as unknown[]).length > 0);
    expect(first.startVersion).toEqual(auth.endVersion);
    expect(first.endVersion).toMatchObject({ querySet: 1, identity: 1 });
    expect(decodeTs((first.endVersion as { ts: string }).ts)).toBeGreaterThan(
      decodeTs((first.startVersion as { ts: string }).ts),
    );
    const [update] = first.modifications as { type: string; queryId: number; value: { state: string }[] }[];
    expect(update).toMatchObject({ type: "QueryUpdated", queryId: 0 });
    expect(update?.value.map((r) => r.state)).toEqual(["connected", "connected", "connected", "connected"]);
    expect(demo.sync.stats).toMatchObject({ connections: 1, subscriptions: 1, byMeeting: { [meetingId]: 1 } });

    const seen = socket.messages.length;
    const applied = demo.live.apply(meetingId, { kind: "join", name: "Ada Lovelace" });
    const pushed = await socket.next((m) => m.type === "Transition", seen);
    expect(pushed.startVersion).toEqual(first.endVersion);
    const rows = (pushed.modifications as { value: { state: string; userId: string }[] }[])[0]?.value ?? [];
    expect(rows[0]).toMatchObject({ state: "connecting", userId: applied.userId });

    // A world change elsewhere sends nothing here.
    const quiet = socket.messages.length;
    demo.live.apply(demo.meetings.poorConnection, { kind: "drop" });
    socket.send({
      type: "ModifyQuerySet",
      baseVersion: 1,
      newVersion: 2,
      modifications: [{ type: "Remove", queryId: 0 }],
    });
    const removed = await socket.next((m) => m.type === "Transition", quiet);
    expect(removed.modifications).toEqual([{ type: "QueryRemoved", queryId: 0 }]);
    expect(demo.sync.stats.subscriptions).toBe(0);
    socket.close();
  });

  it("fails a query the way the HTTP route does, and refuses a token it does not accept", async () => {
    demo = await startDemoDeployment({ liveEveryMs: 0 });
    const socket = await connected(demo);
    socket.send(add(7, demo.meetings.forbidden));
    const failed = await socket.next((m) => m.type === "Transition" && (m.modifications as unknown[]).length > 0);
    expect((failed.modifications as Record<string, unknown>[])[0]).toMatchObject({
      type: "QueryFailed",
      queryId: 7,
      errorData: { code: "FORBIDDEN" },
    });
    socket.send(add(8, DEMO_MISSING_MEETING_ID, 1));
    const missing = await socket.next((m) => m.type === "Transition" && JSON.stringify(m).includes('"queryId":8'));
    expect(JSON.stringify(missing)).toContain("MEETING_NOT_FOUND");
    socket.close();

    const stranger = await connected(demo, `${demo.token.slice(0, -4)}nope`);
    const refused = await stranger.next((m) => m.type === "AuthError");
    expect(refused).toMatchObject({ baseVersion: 0, authUpdateAttempted: true });
    expect(String(refused.error)).toMatch(/token/i);
    stranger.close();
  });

  it("ends a session that breaks the protocol with a FatalError, and refuses writes over the socket", async () => {
    demo = await startDemoDeployment({ liveEveryMs: 0 });
    const socket = await connected(demo);
    socket.send({ type: "Mutation", requestId: 3, udfPath: "notes:add", args: [{}] });
    expect(await socket.next((m) => m.type === "MutationResponse")).toMatchObject({ requestId: 3, success: false });
    socket.send(add(0, demo.meetings.healthy, 5));
    const fatal = await socket.next((m) => m.type === "FatalError");
    expect(String(fatal.error)).toMatch(/query set version/);
    await socket.next(() => false, 0, 3000).catch(() => undefined);
    expect(socket.closed).toBe(true);
  });

  it("pings, refuses upgrades on request (503) and off the sync route (404)", async () => {
    const sync = createSyncServer({
      run: () => ({ kind: "success", value: [] }),
      authenticate: () => ({ kind: "user", userId: "u" }),
      pingMs: 50,
    });
    const server = createServer((_req, res) => res.end());
    server.on("upgrade", (req, socket, head) => {
      if (!sync.handleUpgrade(req, socket, head)) socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const socket = await SyncSocket.open(`${base}/api/1.48.0/sync`);
      expect(await socket.next((m) => m.type === "Ping")).toEqual({ type: "Ping" });
      socket.close();
      const status = (url: string) =>
        new Promise<number | undefined>((resolve) => {
          const ws = new WebSocket(url);
          ws.once("unexpected-response", (_req, res) => resolve(res.statusCode));
          ws.once("open", () => resolve(101));
          ws.once("error", () => resolve(undefined));
        });
      expect(await status(`${base}/api/other`)).toBe(404);
      sync.setAccepting(false);
      expect(await status(`${base}/api/1.48.0/sync`)).toBe(503);
      expect(sync.stats.refused).toBe(1);
    } finally {
      sync.close();
      server.close();
    }
  });

  it("moves a live meeting by itself while someone follows it, and stops when no one does", async () => {
    demo = await startDemoDeployment({ liveEveryMs: 100, syncRefreshMs: 0 });
    const meetingId = demo.meetings.weeklySync as string;
    const socket = await connected(demo);
    socket.send(add(0, meetingId));
    const first = await socket.next((m) => m.type === "Transition" && (m.modifications as unknown[]).length > 0);
    // Nobody asked for a change: the world made one (someone joined, dropped, or a connection changed).
    const moved = await socket.next((m) => m.type === "Transition", socket.messages.indexOf(first) + 1, 15_000);
    expect((moved.modifications as { type: string }[])[0]?.type).toBe("QueryUpdated");
    expect(demo.live.changes).toBeGreaterThan(0);
    expect([...demo.live.running]).toEqual([meetingId]);
    socket.close();
    for (let i = 0; i < 50 && demo.live.running.size > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(demo.live.running.size).toBe(0);
  });

  it("takes world changes and sync faults over the control routes", async () => {
    demo = await startDemoDeployment({ liveEveryMs: 0 });
    const post = (path: string, body: unknown) =>
      fetch(`${demo?.url}${path}`, { method: "POST", body: JSON.stringify(body) }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as Record<string, unknown>,
      }));
    const meetingId = demo.meetings.healthy;
    const joined = await post("/_demo/live", { meetingId, change: { kind: "join", name: "Grace Hopper" } });
    expect(joined).toMatchObject({ status: 200, body: { ok: true, applied: { kind: "join", state: "connecting" } } });
    const dropped = await post("/_demo/live", { meetingId, change: { kind: "drop" } });
    expect(dropped.body.applied).toMatchObject({ kind: "drop", state: "disconnected" });
    expect((await post("/_demo/live", { meetingId, step: true })).status).toBe(200);
    expect(await post("/_demo/live", { meetingId, change: { kind: "rejoin", userId: "nobody" } })).toMatchObject({
      status: 400,
      body: { code: "BadLiveChange" },
    });
    const concluded = [...demo.world.meetings.values()].find((m) => m.state === "concluded");
    expect(await post("/_demo/live", { meetingId: concluded?.id, change: { kind: "drop" } })).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/not live/) },
    });
    expect((await post("/_demo/sync", { accepting: false })).body.ok).toBe(true);
    const stats = (await fetch(`${demo.url}/_demo/live`).then((r) => r.json())) as { changes: number };
    expect(stats.changes).toBe(3);
    // The HTTP route sees the same world.
    const answer = (await fetch(`${demo.url}/api/query`, {
      method: "POST",
      headers: { authorization: `Bearer ${demo.token}`, "content-type": "application/json" },
      body: JSON.stringify({ path: SESSIONS, args: { meetingId }, format: "json" }),
    }).then((r) => r.json())) as { value: { user: { displayName?: string }; state: string }[] };
    expect(answer.value.some((r) => r.user.displayName === "Grace Hopper")).toBe(true);
  });
});
