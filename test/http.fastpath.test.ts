/**
 * The HTTP fast path (src/transports/http/fastPath.ts) over real HTTP on loopback, in process,
 * against the demo deployment: its answers are the SDK path's, byte for byte (the same request to
 * an app with the fast path and to one without it); concurrent requests with the same client id
 * each get their own answer; what it does not take still goes to the SDK; real SDK clients work
 * over it; a client that hangs up mid watch_meeting ends the watch; a server-to-client message
 * during a call breaks nothing; and per-user identity survives (OAuth, two users at once).
 */
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type CallToolResult, McpServer, type McpServerFactory } from "@modelcontextprotocol/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { loadConfig } from "../src/config/config.js";
import { parseHttpConfig } from "../src/config/http.js";
import { createBackendProvider } from "../src/convex/provider.js";
import { type DemoDeployment, startDemoDeployment } from "../src/demo/deployment.js";
import { DEMO_MEETINGS, makeGeneratedMeeting } from "../src/demo/seed.js";
import { createServerFactory, type ServerFactory } from "../src/server.js";
import { createHttpApp, type HttpApp, type HttpAppOptions } from "../src/transports/http/app.js";
import { identifyHttpCaller } from "../src/transports/http/auth.js";
import { connectClient, MCP_POST_HEADERS, type RawResponse, rawRequest } from "./helpers/httpServer.js";
import { connectWithOAuth, startOAuthWorld, TestOAuthProvider } from "./helpers/oauth.js";
import { expectNotParticipant, resultText } from "./helpers/results.js";

const LEGACY = { ...MCP_POST_HEADERS, "mcp-protocol-version": "2025-11-25" };
const PARALLEL = 20;
const parallelMeetings = Object.fromEntries(
  Array.from({ length: PARALLEL }, (_, i) => [`parallel${i}`, makeGeneratedMeeting(`parallel${i}`, i + 1, "healthy")]),
);

interface Running {
  origin: string;
  url: string;
  app: HttpApp;
  server: Server;
}
const running: Running[] = [];

async function serve(factory: McpServerFactory, options: HttpAppOptions = {}): Promise<Running> {
  const parsed = parseHttpConfig({ CONNVO_MCP_HTTP_PORT: "0" });
  if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
  const app = createHttpApp(factory, parsed.config, options);
  const server = createServer(app.listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const started = { origin, url: `${origin}/mcp`, app, server };
  running.push(started);
  return started;
}

const post = (to: Running, body: unknown, headers: Record<string, string> = LEGACY) =>
  rawRequest(to.origin, { headers, body: typeof body === "string" ? body : JSON.stringify(body) });

/** The JSON-RPC text of an answer: the body itself, or the data of its one SSE event. */
function jsonText(response: RawResponse): string {
  if (!String(response.headers["content-type"]).startsWith("text/event-stream")) return response.body;
  const data = response.body.split("\n").filter((line) => line.startsWith("data: "));
  expect(data).toHaveLength(1);
  return (data[0] as string).slice("data: ".length);
}
const answer = (response: RawResponse) => JSON.parse(jsonText(response));

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let demo: DemoDeployment;
let factory: ServerFactory;
let fast: Running;
let sdk: Running;

beforeAll(async () => {
  // One clock for the world and the server: two answers to one question are the same bytes.
  const now = Date.now();
  demo = await startDemoDeployment({ now: () => now, liveEveryMs: 0, extraMeetings: parallelMeetings });
  const backendFor = createBackendProvider(loadConfig({ CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN: demo.token }));
  factory = createServerFactory({ backendFor, identify: identifyHttpCaller, now: () => now });
  [fast, sdk] = await Promise.all([serve(factory), serve(factory, { fastPath: false })]);
});

afterAll(async () => {
  for (const { server, app } of running.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await app.close();
  }
  await factory?.live.shutdown();
  await demo?.close();
});

const call = (id: string | number, name: string, args?: unknown) => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: { name, ...(args !== undefined ? { arguments: args } : {}) },
});

describe("the same request, with and without the fast path", () => {
  it.each([
    ["a successful call", call(1, "get_active_sessions", { meetingId: DEMO_MEETINGS.healthy.id })],
    ["a string id", call("req-7", "get_active_sessions", { meetingId: DEMO_MEETINGS.dropped.id })],
    ["id 0", call(0, "get_active_sessions", { meetingId: DEMO_MEETINGS.twoDevices.id })],
    ["a tool error (not a participant)", call(2, "get_active_sessions", { meetingId: DEMO_MEETINGS.forbidden.id })],
    ["invalid arguments", call(3, "get_active_sessions", { meetingId: 42 })],
    ["a missing required argument", call(4, "get_active_sessions", {})],
    ["no arguments at all", call(5, "get_active_sessions")],
    ["an unknown tool", call(6, "no_such_tool", {})],
    ["a write tool, refused in read-only mode", call(7, "add_meeting_note", { meetingId: "x", text: "y" })],
    ["tools/call without params", { jsonrpc: "2.0", id: 8, method: "tools/call" }],
    ["tools/list", { jsonrpc: "2.0", id: 9, method: "tools/list" }],
    ["ping", { jsonrpc: "2.0", id: 10, method: "ping" }],
  ])("%s: the same JSON-RPC answer, byte for byte", async (_, body) => {
    const servedBefore = fast.app.fastPathServed;
    const [viaFast, viaSdk] = await Promise.all([post(fast, body), post(sdk, body)]);
    expect(fast.app.fastPathServed).toBe(servedBefore + 1);
    expect(sdk.app.fastPathServed).toBe(0);
    expect(viaFast.status).toBe(200);
    expect(viaFast.headers["content-type"]).toBe("application/json");
    expect(Number(viaFast.headers["content-length"])).toBe(Buffer.byteLength(viaFast.body));
    expect(viaSdk.status).toBe(200);
    expect(viaSdk.headers["content-type"]).toBe("text/event-stream");
    expect(viaFast.body).toBe(jsonText(viaSdk));
    expect(answer(viaFast).id).toBe((body as { id: unknown }).id);
  });

  it("the errors are the SDK's own: unknown tool -32602, invalid arguments an isError result", async () => {
    expect(answer(await post(fast, call(1, "no_such_tool", {})))).toMatchObject({
      error: { code: -32602, message: expect.stringMatching(/no_such_tool/) },
    });
    const invalid = answer(await post(fast, call(1, "get_active_sessions", { meetingId: 42 })));
    expect(invalid.result.isError).toBe(true);
    expect(invalid.result.content[0].text).toMatch(/meetingId/);
  });
});

describe("concurrent requests", () => {
  it(`${PARALLEL} at once, all with id 1, each get their own meeting's answer`, async () => {
    demo.injectFault({ kind: "latency", ms: 150 });
    const servedBefore = fast.app.fastPathServed;
    try {
      const answers = await Promise.all(
        Array.from({ length: PARALLEL }, async (_, i) => {
          const meetingId = parallelMeetings[`parallel${i}`]?.id as string;
          return { i, meetingId, response: answer(await post(fast, call(1, "get_active_sessions", { meetingId }))) };
        }),
      );
      for (const { i, meetingId, response } of answers) {
        expect(response.id).toBe(1);
        expect(response.result.isError ?? false).toBe(false);
        expect(response.result.structuredContent.meetingId).toBe(meetingId);
        expect(response.result.structuredContent.counts.sessions).toBe(i + 1);
      }
      expect(fast.app.fastPathServed - servedBefore).toBe(PARALLEL);
    } finally {
      demo.clearFaults();
    }
  });
});

describe("what the fast path leaves to the SDK", () => {
  const ping = { jsonrpc: "2.0", id: 1, method: "ping" };
  it.each([
    ["a batch", [ping], LEGACY, 200],
    ["a notification", { jsonrpc: "2.0", method: "notifications/initialized" }, LEGACY, 202],
    [
      "initialize",
      {
        jsonrpc: "2.0",
        id: 1,
        method: "initialize",
        params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
      },
      LEGACY,
      200,
    ],
    [
      "a call with a progress token",
      {
        ...call(1, "get_active_sessions"),
        params: {
          name: "get_active_sessions",
          arguments: { meetingId: DEMO_MEETINGS.healthy.id },
          _meta: { progressToken: 1 },
        },
      },
      LEGACY,
      200,
    ],
    ["a request with a session id", ping, { ...LEGACY, "mcp-session-id": "s" }, 200],
    [
      "the modern era's header without an envelope (the SDK's -32602)",
      ping,
      { ...LEGACY, "mcp-protocol-version": "2026-07-28" },
      400,
    ],
    ["Accept without text/event-stream (the SDK's 406)", ping, { ...LEGACY, accept: "application/json" }, 406],
    ["an unsupported protocol version (the SDK's 400)", ping, { ...LEGACY, "mcp-protocol-version": "1999-01-01" }, 400],
  ])("%s", async (_, body, headers, status) => {
    const servedBefore = fast.app.fastPathServed;
    const [viaFast, viaSdk] = await Promise.all([post(fast, body, headers), post(sdk, body, headers)]);
    expect(fast.app.fastPathServed).toBe(servedBefore);
    expect(viaFast.status).toBe(status);
    expect(viaFast.status).toBe(viaSdk.status);
    expect(viaFast.headers["content-type"]).toBe(viaSdk.headers["content-type"]);
  });

  it("a modern-era client is served by the SDK; a 2025-era SDK client by the fast path, with the same answer", async () => {
    const meetingId = DEMO_MEETINGS.healthy.id;
    const [legacy, modern] = await Promise.all([connectClient(fast.url, "legacy"), connectClient(fast.url, "modern")]);
    try {
      const before = fast.app.fastPathServed;
      const viaModern = (await modern.callTool({
        name: "get_active_sessions",
        arguments: { meetingId },
      })) as CallToolResult;
      expect(fast.app.fastPathServed).toBe(before);
      const viaLegacy = (await legacy.callTool({
        name: "get_active_sessions",
        arguments: { meetingId },
      })) as CallToolResult;
      expect(fast.app.fastPathServed).toBe(before + 1);
      expect(viaLegacy.isError ?? false).toBe(false);
      expect(viaLegacy.structuredContent).toEqual(viaModern.structuredContent);
      expect((await legacy.listTools()).tools.map((t) => t.name)).toContain("watch_meeting");
      expect(fast.app.fastPathServed).toBe(before + 2);
    } finally {
      await Promise.allSettled([legacy.close(), modern.close()]);
    }
  });
});

describe("a client that hangs up", () => {
  it("mid watch_meeting: the watch ends on the server, long before its wait would", async () => {
    const meetingId = DEMO_MEETINGS.healthy.id;
    const snapshot = answer(await post(fast, call(1, "watch_meeting", { meetingId })));
    const cursor = snapshot.result.structuredContent.cursor as string;
    const servedBefore = fast.app.fastPathServed;
    const body = JSON.stringify(call(2, "watch_meeting", { meetingId, since: cursor, waitSec: 50 }));
    const req = httpRequest(new URL(fast.url), { method: "POST", headers: LEGACY, agent: false });
    req.on("error", () => undefined);
    req.end(body);
    await until("the watch to start", () => factory.live.stats.watches === 1);
    expect(fast.app.fastPathServed).toBe(servedBefore + 1);
    expect(fast.app.inFlight).toBe(1);
    req.destroy();
    await until("the watch to end", () => factory.live.stats.watches === 0);
    await until("the request to be over", () => fast.app.inFlight === 0);
  });
});

describe("a server-to-client message during a call", () => {
  it("is dropped (a notification) or refused at once (a request), and the call answers", async () => {
    const chatty: McpServerFactory = () => {
      const server = new McpServer({ name: "chatty", version: "0" }, { capabilities: { tools: {}, logging: {} } });
      server.registerTool("chatty", { inputSchema: z.object({}) }, async (_args, ctx) => {
        await ctx.mcpReq.notify({ method: "notifications/message", params: { level: "info", data: "hello" } });
        const pinged = await ctx.mcpReq.send({ method: "ping" }).then(
          () => "answered",
          (error: Error) => error.message,
        );
        return { content: [{ type: "text", text: `ping: ${pinged}` }] };
      });
      return server;
    };
    // The shared server is connected within microtasks of createHttpApp: before any request.
    const app = await serve(chatty);
    const response = await post(app, call(1, "chatty", {}));
    expect(app.app.fastPathServed).toBe(1);
    expect(response.headers["content-type"]).toBe("application/json");
    expect(answer(response)).toMatchObject({
      id: 1,
      result: { content: [{ type: "text", text: expect.stringMatching(/^ping: .*not available on this request/) }] },
    });
  });
});

describe("per-user identity over the fast path (OAuth, 2025-era clients)", () => {
  it("two users at once each see only their own meetings", async () => {
    const w = await startOAuthWorld();
    const [alex, priya] = await Promise.all([
      connectWithOAuth(w.url, "legacy", new TestOAuthProvider()),
      connectWithOAuth(w.url, "legacy", new TestOAuthProvider("priya")),
    ]);
    try {
      const before = w.app.fastPathServed;
      const list = (client: typeof alex.client) =>
        client.callTool({ name: "list_meetings", arguments: { when: "all", limit: 50 } }) as Promise<CallToolResult>;
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => list(i % 2 === 0 ? alex.client : priya.client)),
      );
      expect(w.app.fastPathServed - before).toBe(20);
      results.forEach((result, i) => {
        expect(result.isError ?? false, resultText(result)).toBe(false);
        expect(resultText(result)).toContain("Weekly product sync");
        if (i % 2 === 0) expect(resultText(result)).toContain("Acme Corp renewal call");
        else expect(resultText(result)).not.toContain("Acme Corp renewal call");
      });
      const acme = w.demo.meetings.acmeRenewal as string;
      await expectNotParticipant(priya.client, acme);
    } finally {
      await Promise.allSettled([alex.client.close(), priya.client.close()]);
      await w.close();
    }
  });
});
