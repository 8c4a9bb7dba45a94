/**
 * Which requests the HTTP fast path (src/transports/http/fastPath.ts) takes: only what the SDK's
 * stateless legacy path would dispatch as the very same single request, and nothing that needs a
 * stream. Checked example by example, and on generated requests against the SDK's own classifier
 * and the SDK transport's own header rules, so the two paths can never disagree on a request.
 */
import type { IncomingHttpHeaders } from "node:http";
import {
  classifyInboundRequest,
  isJSONRPCRequest,
  isJsonContentType,
  SUPPORTED_PROTOCOL_VERSIONS,
} from "@modelcontextprotocol/server";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { eligible } from "../src/transports/http/fastPath.js";

const HEADERS: IncomingHttpHeaders = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": "2025-11-25",
};
const CALL = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "get_active_sessions", arguments: {} } };
const take = (body: unknown, headers: IncomingHttpHeaders = HEADERS, method = "POST") =>
  eligible(method, headers, Buffer.from(typeof body === "string" ? body : JSON.stringify(body)));

describe("the fast path takes", () => {
  it.each([
    ["a tools/call", CALL],
    ["a tools/call with a string id", { ...CALL, id: "abc" }],
    ["a tools/call without arguments", { jsonrpc: "2.0", id: 0, method: "tools/call", params: { name: "x" } }],
    ["a tools/call with a client's own _meta", { ...CALL, params: { ...CALL.params, _meta: { trace: "t" } } }],
    ["a tools/list", { jsonrpc: "2.0", id: 2, method: "tools/list" }],
    ["a tools/list with a cursor", { jsonrpc: "2.0", id: 2, method: "tools/list", params: { cursor: "c" } }],
    ["a ping", { jsonrpc: "2.0", id: 3, method: "ping" }],
  ])("%s", (_, body) => {
    expect(take(body)).toMatchObject({ id: (body as { id: unknown }).id, method: (body as { method: string }).method });
  });

  it.each(SUPPORTED_PROTOCOL_VERSIONS)("MCP-Protocol-Version %s", (version) => {
    expect(take(CALL, { ...HEADERS, "mcp-protocol-version": version })).toBeDefined();
  });

  it("Accept and Content-Type as the SDK reads them (parameters, order, repeated Accept headers)", () => {
    expect(take(CALL, { ...HEADERS, accept: "text/event-stream, application/json;q=0.9" })).toBeDefined();
    expect(take(CALL, { ...HEADERS, "content-type": "application/json; charset=utf-8" })).toBeDefined();
    expect(take(CALL, { ...HEADERS, accept: ["application/json", "text/event-stream"] } as never)).toBeDefined();
  });
});

describe("the fast path leaves to the SDK", () => {
  it.each([
    ["a batch", [CALL]],
    ["a notification", { jsonrpc: "2.0", method: "notifications/initialized" }],
    ["initialize", { jsonrpc: "2.0", id: 1, method: "initialize", params: {} }],
    ["resources/read", { jsonrpc: "2.0", id: 1, method: "resources/read", params: { uri: "x" } }],
    ["a posted response", { jsonrpc: "2.0", id: 1, result: {} }],
    ["a progress token", { ...CALL, params: { ...CALL.params, _meta: { progressToken: 7 } } }],
    [
      "a modern envelope claim",
      { ...CALL, params: { ...CALL.params, _meta: { "io.modelcontextprotocol/protocolVersion": "2026-07-28" } } },
    ],
    [
      "a legacy-named envelope claim",
      { ...CALL, params: { ...CALL.params, _meta: { "io.modelcontextprotocol/protocolVersion": "2025-11-25" } } },
    ],
    ["a task request", { ...CALL, params: { ...CALL.params, task: { ttl: 1000 } } }],
    ["an unknown params field", { ...CALL, params: { ...CALL.params, extra: 1 } }],
    ["an unknown top-level field (the SDK answers 400)", { ...CALL, extra: 1 }],
    ["a null id", { ...CALL, id: null }],
    ["a fractional id", { ...CALL, id: 1.5 }],
    ["no id", { jsonrpc: "2.0", method: "tools/call", params: CALL.params }],
    ["jsonrpc 1.0", { ...CALL, jsonrpc: "1.0" }],
    ["params that are an array", { ...CALL, params: [] }],
    ["_meta that is not an object", { ...CALL, params: { ...CALL.params, _meta: 1 } }],
    ["invalid JSON", "{ nope"],
    ["a byte order mark (the SDK's TextDecoder drops it)", `\ufeff${JSON.stringify(CALL)}`],
    ["leading whitespace", ` ${JSON.stringify(CALL)}`],
    ["an empty body", ""],
  ])("%s", (_, body) => {
    expect(take(body)).toBeUndefined();
  });

  it("invalid UTF-8 (decoders may replace it differently)", () => {
    const bytes = Buffer.concat([
      Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{"x":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}}}'),
    ]);
    expect(eligible("POST", HEADERS, bytes)).toBeUndefined();
  });

  it.each([
    ["GET", {}, "GET"],
    ["a session id", { "mcp-session-id": "s" }, "POST"],
    ["no protocol version header", { "mcp-protocol-version": undefined }, "POST"],
    ["the modern protocol version header", { "mcp-protocol-version": "2026-07-28" }, "POST"],
    ["an unsupported protocol version", { "mcp-protocol-version": "1999-01-01" }, "POST"],
    ["Accept without text/event-stream (406)", { accept: "application/json" }, "POST"],
    ["Accept without application/json (406)", { accept: "text/event-stream" }, "POST"],
    ["no Accept", { accept: undefined }, "POST"],
    ["Content-Type text/plain (415)", { "content-type": "text/plain" }, "POST"],
    ["no Content-Type", { "content-type": undefined }, "POST"],
  ])("%s", (_, headers, method) => {
    expect(take(CALL, { ...HEADERS, ...headers }, method)).toBeUndefined();
  });
});

/** Mostly `usual`, sometimes anything `unusual` gives: requests near the fast path's boundary. */
const mostly = <T, U>(usual: fc.Arbitrary<T>, unusual: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: usual, weight: 4 }, { arbitrary: unusual, weight: 1 });
const absent = fc.constant(undefined);

const metas = mostly(
  fc.oneof(
    absent,
    fc.dictionary(
      fc.constantFrom(
        "trace",
        "progressToken",
        "io.modelcontextprotocol/protocolVersion",
        "io.modelcontextprotocol/clientInfo",
        "io.modelcontextprotocol/related-task",
      ),
      fc.oneof(fc.constantFrom("2026-07-28", "2025-11-25"), fc.integer(), fc.constant(null)),
      { maxKeys: 2 },
    ),
  ),
  fc.jsonValue(),
);
const params = mostly(
  fc.oneof(
    absent,
    fc.record({
      name: mostly(fc.constant("get_active_sessions"), fc.jsonValue()),
      arguments: mostly(fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue(), { maxKeys: 2 }), fc.jsonValue()),
      cursor: mostly(absent, fc.string({ maxLength: 3 })),
      task: mostly(absent, fc.record({ ttl: fc.integer() })),
      _meta: metas,
    }),
  ),
  fc.jsonValue(),
);
const single = fc.record({
  jsonrpc: mostly(fc.constant("2.0"), fc.jsonValue()),
  id: mostly(fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), fc.oneof(fc.constant(null), fc.double(), absent)),
  method: mostly(
    fc.constantFrom("tools/call", "tools/list", "ping"),
    fc.constantFrom("initialize", "resources/read", "notifications/initialized", "tools/calls"),
  ),
  params,
  extra: mostly(absent, fc.jsonValue()),
});
const requests = fc.record({
  body: mostly(single, fc.oneof(fc.array(single, { maxLength: 2 }), fc.jsonValue())),
  version: mostly(
    fc.constantFrom(...SUPPORTED_PROTOCOL_VERSIONS),
    fc.constantFrom(undefined, "2026-07-28", "2030-01-01", "x"),
  ),
  accept: mostly(
    fc.constant("application/json, text/event-stream"),
    fc.constantFrom(undefined, "application/json", "text/event-stream", "*/*"),
  ),
  contentType: mostly(
    fc.constantFrom("application/json", "application/json; charset=utf-8"),
    fc.constantFrom(undefined, "text/plain"),
  ),
  mcpMethod: fc.constantFrom(undefined, "tools/call", "ping"),
  session: mostly(absent, fc.constant("s")),
});

describe("on generated requests", () => {
  it("what the fast path takes, the SDK classifies as legacy with no claim and its transport accepts", () => {
    let taken = 0;
    fc.assert(
      fc.property(requests, (r) => {
        const headers: IncomingHttpHeaders = {
          ...(r.version !== undefined ? { "mcp-protocol-version": r.version } : {}),
          ...(r.accept !== undefined ? { accept: r.accept } : {}),
          ...(r.contentType !== undefined ? { "content-type": r.contentType } : {}),
          ...(r.mcpMethod !== undefined ? { "mcp-method": r.mcpMethod } : {}),
          ...(r.session !== undefined ? { "mcp-session-id": r.session } : {}),
        };
        const message = eligible("POST", headers, Buffer.from(JSON.stringify(r.body) ?? ""));
        if (!message) return;
        taken++;
        const body = JSON.parse(JSON.stringify(r.body));
        // The classifier createMcpHandler routes with: the legacy leg, as a plain 2025-era request.
        expect(
          classifyInboundRequest({
            httpMethod: "POST",
            protocolVersionHeader: r.version,
            mcpMethodHeader: r.mcpMethod,
            body,
          }),
        ).toEqual({ kind: "legacy", reason: "no-claim", requestedVersion: r.version });
        // The legacy transport's checks (406, 415, 400 on the version or the message) all pass.
        expect(r.accept?.includes("application/json") && r.accept.includes("text/event-stream")).toBe(true);
        expect(isJsonContentType(r.contentType ?? null)).toBe(true);
        expect(SUPPORTED_PROTOCOL_VERSIONS).toContain(r.version);
        expect(isJSONRPCRequest(body)).toBe(true);
        // Nothing that needs a stream, and no session.
        expect(body.params?._meta?.progressToken).toBeUndefined();
        expect(r.session).toBeUndefined();
        expect(message).toEqual(body);
      }),
      { numRuns: 5000 },
    );
    // The generator reaches the interesting side too.
    expect(taken).toBeGreaterThan(200);
  });
});
