/**
 * The direct tools/call (src/server.ts `direct`, src/transports/directCalls.ts) over the real stdio
 * line transport, in process: two sessions, one answering plain tools/calls directly and one
 * handing every message to the SDK, each against its own demo deployment on one fixed clock, so
 * the same question must get the same bytes. Also: what the direct path leaves to the SDK still
 * gets the SDK's answer, a cancelled direct call is not answered and its watch ends, a session
 * that closes cancels them, and nothing is answered directly before a 2025-era initialize.
 */
import { PassThrough } from "node:stream";
import { serveStdio } from "@modelcontextprotocol/server/stdio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/config.js";
import { createBackendProvider } from "../src/convex/provider.js";
import { type DemoDeployment, startDemoDeployment } from "../src/demo/deployment.js";
import { exampleCalls } from "../src/demo/examples.js";
import { DEMO_MEETINGS } from "../src/demo/seed.js";
import { createServerFactory, type ServerFactory } from "../src/server.js";
import { selectTools } from "../src/tools/inventory.js";
import { LineTransport } from "../src/transports/stdio.js";

type Id = string | number;

/** One stdio session over in-memory pipes: raw lines in, raw lines out. */
class Session {
  readonly stdin = new PassThrough();
  readonly stdout = new PassThrough();
  readonly transport: LineTransport;
  /** Calls the direct path answered (its `direct` returned an answer). */
  directAnswers = 0;
  private buffer = "";
  private readonly waiting = new Map<string, (line: string) => void>();
  private readonly lines = new Map<string, string>();

  constructor(
    readonly factory: ServerFactory,
    direct: boolean,
  ) {
    const counted: ServerFactory["direct"] = (params, options) => {
      const answer = factory.direct(params, options);
      if (answer) this.directAnswers++;
      return answer;
    };
    this.transport = new LineTransport({
      stdin: this.stdin,
      stdout: this.stdout,
      direct: direct ? counted : undefined,
    });
    serveStdio(factory, { transport: this.transport });
    this.stdout.setEncoding("utf8");
    this.stdout.on("data", (chunk: string) => {
      this.buffer += chunk;
      for (let end = this.buffer.indexOf("\n"); end >= 0; end = this.buffer.indexOf("\n")) {
        const line = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 1);
        const id = (JSON.parse(line) as { id?: Id }).id;
        if (id === undefined) continue;
        const key = JSON.stringify(id);
        const waiter = this.waiting.get(key);
        this.waiting.delete(key);
        if (waiter) waiter(line);
        else this.lines.set(key, line);
      }
    });
  }

  send(message: unknown): void {
    this.stdin.write(`${JSON.stringify(message)}\n`);
  }

  /** The raw answer line to the request with this id. */
  answer(id: Id, timeoutMs = 10_000): Promise<string> {
    const key = JSON.stringify(id);
    const ready = this.lines.get(key);
    if (ready !== undefined) {
      this.lines.delete(key);
      return Promise.resolve(ready);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer to ${key} within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.set(key, (line) => {
        clearTimeout(timer);
        resolve(line);
      });
    });
  }

  /** Whether an answer to this id arrives within `ms`. */
  async answered(id: Id, ms: number): Promise<boolean> {
    return this.answer(id, ms).then(
      () => true,
      () => false,
    );
  }

  request(message: { id: Id; [key: string]: unknown }): Promise<string> {
    this.send(message);
    return this.answer(message.id);
  }

  async initialize(protocolVersion = "2025-06-18"): Promise<string> {
    const answer = await this.request({
      jsonrpc: "2.0",
      id: "init",
      method: "initialize",
      params: { protocolVersion, capabilities: {}, clientInfo: { name: "parity", version: "1" } },
    });
    this.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    return answer;
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

const call = (id: Id, name: string, args?: unknown, extra: Record<string, unknown> = {}) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, ...(args !== undefined ? { arguments: args } : {}), ...extra },
});

const demos: DemoDeployment[] = [];
const factories: ServerFactory[] = [];
let direct: Session;
let sdk: Session;

async function world(now: number): Promise<ServerFactory> {
  const demo = await startDemoDeployment({ now: () => now, liveEveryMs: 0 });
  demos.push(demo);
  const backendFor = createBackendProvider(loadConfig({ CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN: demo.token }));
  const factory = createServerFactory({ backendFor, now: () => now, tools: selectTools({ enableWrites: true }).tools });
  factories.push(factory);
  return factory;
}

beforeAll(async () => {
  // One clock for both worlds and both servers: the same question has the same answer.
  const now = Date.now();
  direct = new Session(await world(now), true);
  sdk = new Session(await world(now), false);
  expect(await direct.initialize()).toBe(await sdk.initialize());
});

afterAll(async () => {
  await direct?.close();
  await sdk?.close();
  for (const factory of factories) await factory.live.shutdown();
  for (const demo of demos) await demo.close();
});

describe("the same tools/call, answered directly and by the SDK", () => {
  const live = DEMO_MEETINGS.healthy.id;
  const cases: [string, ReturnType<typeof call>][] = [
    ...exampleCalls().map(
      (example, i) =>
        [`${example.tool} ${JSON.stringify(example.args)}`, call(100 + i, example.tool, example.args)] as [
          string,
          ReturnType<typeof call>,
        ],
    ),
    ["a string id", call("req-7", "get_active_sessions", { meetingId: DEMO_MEETINGS.dropped.id })],
    ["id 0", call(0, "get_active_sessions", { meetingId: DEMO_MEETINGS.twoDevices.id })],
    ["a numeric string coerced", call(1, "get_active_sessions", { meetingId: live, limit: "2" })],
    ["an ID pasted with spaces and upper case", call(2, "get_meeting", { meetingId: ` ${live.toUpperCase()} ` })],
    ["a tool error (not a participant)", call(3, "get_active_sessions", { meetingId: DEMO_MEETINGS.forbidden.id })],
    ["a tool error (no such meeting)", call(4, "get_meeting", { meetingId: "j57aaaaaaaaaaaaaaaaaaaaaaaaaaaaa" })],
    ["_meta without a progress token", call(5, "get_active_sessions", { meetingId: live }, { _meta: { trace: "t1" } })],
    ["a write", call(6, "add_meeting_note", { meetingId: live, text: "Decision: ship on Friday." })],
    ["the write read back", call(7, "get_meeting_notes", { meetingId: live })],
  ];
  it.each(cases)("%s", async (_label, message) => {
    const before = direct.directAnswers;
    const [a, b] = await Promise.all([direct.request(message), sdk.request(message)]);
    expect(a).toBe(b);
    expect(direct.directAnswers).toBe(before + 1);
  });

  const sdkCases: [string, ReturnType<typeof call>][] = [
    ["invalid arguments", call(20, "get_active_sessions", { meetingId: 42 })],
    ["a missing required argument", call(21, "get_active_sessions", {})],
    ["no arguments at all", call(22, "get_active_sessions")],
    ["arguments that are not an object", call(23, "get_active_sessions", ["x"])],
    ["an unknown tool", call(24, "no_such_tool", {})],
    ["a progress token", call(25, "get_active_sessions", { meetingId: live }, { _meta: { progressToken: "p" } })],
    [
      "a reserved _meta key",
      call(26, "get_active_sessions", { meetingId: live }, { _meta: { "io.modelcontextprotocol/x": 1 } }),
    ],
    ["an unknown params key", call(27, "get_active_sessions", { meetingId: live }, { task: { ttl: 1000 } })],
  ];
  it.each(sdkCases)("left to the SDK, with the SDK's answer: %s", async (_label, message) => {
    const before = direct.directAnswers;
    const [a, b] = await Promise.all([direct.request(message), sdk.request(message)]);
    expect(a).toBe(b);
    expect(direct.directAnswers).toBe(before);
  });
});

describe("cancelling a direct call", () => {
  it("is not answered, and the watch it waits in ends", async () => {
    const meetingId = DEMO_MEETINGS.healthy.id;
    const hub = direct.factory.live;
    const snapshot = JSON.parse(await direct.request(call(40, "watch_meeting", { meetingId }))) as {
      result: { structuredContent: { cursor: string } };
    };
    const before = direct.directAnswers;
    direct.send(call(41, "watch_meeting", { meetingId, since: snapshot.result.structuredContent.cursor, waitSec: 50 }));
    await until("the watch to start", () => hub.stats.watches === 1);
    expect(direct.directAnswers).toBe(before + 1);
    direct.send({
      jsonrpc: "2.0",
      method: "notifications/cancelled",
      params: { requestId: 41, reason: "changed mind" },
    });
    await until("the watch to end", () => hub.stats.watches === 0);
    expect(await direct.answered(41, 300)).toBe(false);
    // The session goes on.
    expect(JSON.parse(await direct.request({ jsonrpc: "2.0", id: 42, method: "ping" }))).toEqual({
      jsonrpc: "2.0",
      id: 42,
      result: {},
    });
  });

  it("when the session closes, its direct calls end", async () => {
    const factory = await world(Date.now());
    const session = new Session(factory, true);
    await session.initialize();
    const meetingId = DEMO_MEETINGS.healthy.id;
    const first = JSON.parse(await session.request(call(1, "watch_meeting", { meetingId }))) as {
      result: { structuredContent: { cursor: string } };
    };
    session.send(call(2, "watch_meeting", { meetingId, since: first.result.structuredContent.cursor, waitSec: 50 }));
    await until("the watch to start", () => factory.live.stats.watches === 1);
    await session.close();
    await until("the watch to end", () => factory.live.stats.watches === 0);
  });
});

describe("before a 2025-era initialize", () => {
  it("nothing is answered directly: the SDK answers as it would", async () => {
    const now = Date.now();
    const a = new Session(await world(now), true);
    const b = new Session(await world(now), false);
    try {
      const message = call(1, "get_active_sessions", { meetingId: DEMO_MEETINGS.healthy.id });
      expect(await a.request(message)).toBe(await b.request(message));
      expect(a.directAnswers).toBe(0);
      await a.initialize();
      await b.initialize();
      const again = call(2, "get_active_sessions", { meetingId: DEMO_MEETINGS.healthy.id });
      expect(await a.request(again)).toBe(await b.request(again));
      expect(a.directAnswers).toBe(1);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
