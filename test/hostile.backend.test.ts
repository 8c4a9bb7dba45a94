/**
 * A hostile or broken backend, seen through the real bundled server over stdio with a real MCP
 * client: gzip bombs with and without a length, redirects, Connvo's "Server Error" for a function
 * that failed on its side, tokens that cannot or must not be sent, and a backend that echoes the
 * bearer token into every string of every answer and error shape. After each, the same server
 * still answers a normal call.
 */
import type { ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";
import type { CallToolResult } from "@modelcontextprotocol/server";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { deterministicConvexId } from "../src/convex/ids.js";
import { exposedOperations } from "../src/openapi/registry.js";
import { DATA_LINE } from "../src/present/render.js";
import { type HostileBackend, json, startHostileBackend, success, udfError } from "./helpers/hostileBackend.js";
import { resultText } from "./helpers/results.js";
import { impureStdoutLines, type SpawnedServer, spawnStdioServer } from "./helpers/stdioServer.js";

// Spawned servers on a shared 2-core machine: generous bounds, never timings.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const MEETING = deterministicConvexId(10001, "hostile-meeting");
const LIMIT_BYTES = 1024 * 1024;
/** An opaque (non-JWT) token: only registration can redact it, so every leak would show. */
const TOKEN = `tok_${"9fA7b6C5d4E3f2G1h0JkLmNpQrStUvWx".repeat(2)}`;

let backend: HostileBackend;
let server: SpawnedServer;

const now = Date.now();
function row(i: number, overrides: Record<string, unknown> = {}, user: Record<string, unknown> = {}) {
  return {
    _id: deterministicConvexId(10002, `session-${i}`),
    _creationTime: now - 600_000,
    meetingId: MEETING,
    sessionId: `session-${i}`,
    state: "connected",
    userId: deterministicConvexId(10003, `user-${i}`),
    user: { _id: deterministicConvexId(10003, `user-${i}`), displayName: `Person ${i}`, ...user },
    createdAt: now - 600_000,
    updatedAt: now - 5_000,
    ...overrides,
  };
}
const normal = (_request: unknown, res: ServerResponse) => success(res, [row(1), row(2)]);

const call = (args: Record<string, unknown> = { meetingId: MEETING }, name = "get_active_sessions", s = server) =>
  s.client.callTool({ name, arguments: args }) as Promise<CallToolResult>;

async function expectServesNormally(s: SpawnedServer = server, b: HostileBackend = backend) {
  b.respond = normal;
  const result = await call({ meetingId: MEETING }, "get_active_sessions", s);
  expect(result.isError ?? false, resultText(result)).toBe(false);
  expect((result.structuredContent as { counts?: { participants?: number } }).counts?.participants).toBe(2);
}

/** Every 12-character piece of `secret` (and the whole of it) that appears in `text`. */
function pieces(text: string, secret: string): string[] {
  const found = text.includes(secret) ? [secret] : [];
  for (let i = 0; i + 12 <= secret.length; i += 3) {
    const piece = secret.slice(i, i + 12);
    if (text.includes(piece)) found.push(piece);
  }
  return found;
}

function expectNoLeak(result: CallToolResult, secret: string) {
  const everything = `${resultText(result)}\n${JSON.stringify(result.structuredContent ?? null)}`;
  expect(pieces(everything, secret), everything.slice(0, 2000)).toEqual([]);
}

/** The data line of the text is the same object as structuredContent. */
function expectTextMatchesStructured(result: CallToolResult) {
  if (result.isError) return;
  const text = resultText(result);
  const at = text.indexOf(`${DATA_LINE}\n`);
  expect(at, text.slice(0, 300)).toBeGreaterThan(-1);
  expect(JSON.parse(text.slice(at + DATA_LINE.length + 1))).toEqual(result.structuredContent);
}

beforeAll(async () => {
  backend = await startHostileBackend(normal);
  server = await spawnStdioServer({
    env: {
      CONNVO_CONVEX_URL: backend.url,
      CONNVO_TOKEN: TOKEN,
      CONNVO_MAX_RESPONSE_BYTES: String(LIMIT_BYTES),
      CONNVO_TIMEOUT_MS: "8000",
    },
  });
});
afterAll(async () => {
  await server?.close();
  await backend?.close();
});
afterEach(async () => {
  await expectServesNormally();
  backend.reset();
  expect(impureStdoutLines(server.transport.stdoutLines)).toEqual([]);
  expect(pieces(server.transport.stderr, TOKEN)).toEqual([]);
});

describe("gzip bombs: CONNVO_MAX_RESPONSE_BYTES holds on decoded bytes", () => {
  // 32 MiB of JSON whitespace after a valid, empty answer: about 32 KB on the wire.
  const bomb = gzipSync(
    Buffer.concat([Buffer.from('{"status":"success","value":[],"logLines":[]}'), Buffer.alloc(32 << 20, " ")]),
  );

  it("with a Content-Length far under the limit", async () => {
    expect(bomb.length).toBeLessThan(LIMIT_BYTES / 8);
    backend.respond = (_r, res) => {
      res.writeHead(200, {
        "content-type": "application/json",
        "content-encoding": "gzip",
        "content-length": String(bomb.length),
      });
      res.end(bomb);
    };
    const result = await call();
    expect(result.isError, resultText(result)).toBe(true);
    expect(resultText(result)).toMatch(/larger than 1 MB, the limit set by CONNVO_MAX_RESPONSE_BYTES/);
    expect(backend.requests).toHaveLength(1); // not retried
  });

  it("without a length (chunked)", async () => {
    backend.respond = (_r, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.write(bomb.subarray(0, 1000));
      res.end(bomb.subarray(1000));
    };
    const result = await call();
    expect(resultText(result)).toMatch(/larger than 1 MB/);
  });

  it("in an error answer (only its first 8 KB are read)", async () => {
    backend.respond = (_r, res) => {
      res.writeHead(500, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end(bomb);
    };
    const result = await call();
    expect(resultText(result)).toMatch(/failed to answer \(HTTP 500\)/);
  });

  it("a compressed answer that fits is read as usual", async () => {
    const body = gzipSync(JSON.stringify({ status: "success", value: [row(1), row(2), row(3)], logLines: [] }));
    backend.respond = (_r, res) => {
      res.writeHead(200, {
        "content-type": "application/json",
        "content-encoding": "gzip",
        "content-length": String(body.length),
      });
      res.end(body);
    };
    const result = await call();
    expect(result.isError ?? false, resultText(result)).toBe(false);
    expect((result.structuredContent as { counts: { participants: number } }).counts.participants).toBe(3);
  });
});

describe("answers that are not what they seem", () => {
  it.each([301, 302, 307, 308])("a %i redirect is reported as a redirect, once, and not followed", async (status) => {
    backend.respond = (_r, res) => {
      res.writeHead(status, { location: `${backend.url}/elsewhere`, "content-length": "0" });
      res.end();
    };
    const result = await call();
    expect(result.isError).toBe(true);
    expect(resultText(result)).toMatch(/answered with a redirect.*does not follow redirects.*CONNVO_CONVEX_URL/);
    expect(resultText(result)).not.toMatch(/network|tried \d+ times/);
    expect(backend.requests.map((r) => r.endpoint)).toEqual(["/api/query"]);
  });

  it("Connvo's 'Server Error' without ConvexError data is the function failing on Connvo's side", async () => {
    backend.respond = (_r, res) =>
      udfError(
        res,
        "[Request ID: 3f2a9c1d7e6b5a40] Server Error\nReturnsValidationError: Object contains extra field `_creationTime` that is not in the validator.\n    at handler (../convex/meetings/queries.ts:12:3)",
      );
    const result = await call();
    expect(result.isError).toBe(true);
    expect(resultText(result)).toMatch(
      /function meetings\/webrtc\/index:getActiveSessions failed on Connvo's side \(backend said: "ReturnsValidationError: Object contains extra field .?_creationTime.?.*not with the arguments or the sign-in/,
    );
    expect(resultText(result)).not.toMatch(/at handler/);
    expect(backend.requests).toHaveLength(1);
  });
});

describe("a backend that echoes the bearer token", () => {
  const withToken = (value: string) => `${value} ${TOKEN}`;

  it.each([
    ["displayName", (i: number) => row(i, {}, { displayName: TOKEN })],
    ["displayName (inside text)", (i: number) => row(i, {}, { displayName: withToken("Ana") })],
    ["avatarUrl", (i: number) => row(i, {}, { avatarUrl: `https://cdn.example/${TOKEN}.png` })],
    ["sessionId", (i: number) => row(i, { sessionId: TOKEN })],
    ["metadata", (i: number) => row(i, { metadata: { note: TOKEN, [TOKEN]: TOKEN } })],
    ["_id and user._id", (i: number) => row(i, { _id: TOKEN }, { _id: TOKEN })],
    ["userId and meetingId", (i: number) => row(i, { userId: TOKEN, meetingId: TOKEN })],
    ["state", (i: number) => row(i, { state: TOKEN })],
    ["connectionQuality", (i: number) => row(i, { connectionQuality: TOKEN })],
    [
      "every string at once",
      (i: number) =>
        row(
          i,
          { _id: TOKEN, sessionId: TOKEN, userId: TOKEN, meetingId: TOKEN, metadata: { a: TOKEN } },
          { _id: TOKEN, displayName: TOKEN, avatarUrl: TOKEN },
        ),
    ],
  ] as const)("in %s: redacted in the text and in structuredContent, which stay equal", async (_field, make) => {
    backend.respond = (_r, res) => success(res, [make(1), make(2), row(3)]);
    for (const format of ["concise", "detailed"]) {
      const result = await call({ meetingId: MEETING, format });
      expectNoLeak(result, TOKEN);
      expectTextMatchesStructured(result);
    }
  });

  it.each([
    [
      "a 401 message",
      (res: ServerResponse) =>
        json(res, 401, { code: "InvalidAuthHeader", message: `Could not validate token: ${TOKEN}` }),
    ],
    [
      "an expired-token message",
      (res: ServerResponse) =>
        json(res, 401, { code: "InvalidAuthHeader", message: `Token expired 5 seconds ago: ${TOKEN}` }),
    ],
    ["a 500 error code", (res: ServerResponse) => json(res, 500, { code: TOKEN, message: TOKEN })],
    [
      "a 429 body",
      (res: ServerResponse) =>
        json(res, 429, { code: "TooManyConcurrentRequests", message: TOKEN }, { "retry-after": "60" }),
    ],
    [
      "a ConvexError code",
      (res: ServerResponse) => udfError(res, `Uncaught ConvexError: ${TOKEN}`, { code: TOKEN, message: TOKEN }),
    ],
    [
      "a ConvexError validation message",
      (res: ServerResponse) =>
        udfError(res, "Uncaught ConvexError", { code: "VALIDATION_ERROR", message: `bad ${TOKEN}` }),
    ],
    [
      "an argument validation error",
      (res: ServerResponse) =>
        udfError(res, `[Request ID: 1] Server Error\nArgumentValidationError: Value ${TOKEN} does not match`),
    ],
    [
      "a server error detail",
      (res: ServerResponse) => udfError(res, `[Request ID: 1] Server Error\nUncaught Error: ${TOKEN}`),
    ],
    [
      "a plain-text 502",
      (res: ServerResponse) => {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(`Bad gateway for ${TOKEN}`);
      },
    ],
    [
      "a body that is not JSON",
      (res: ServerResponse) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(`{"status":"success","value":"${TOKEN}`);
      },
    ],
    ["a wrongly shaped answer", (res: ServerResponse) => success(res, { sessions: TOKEN })],
  ] as const)("in %s: the error text has no piece of it", async (_shape, answer) => {
    backend.respond = (_r, res) => answer(res);
    const result = await call();
    expect(result.isError, resultText(result)).toBe(true);
    expect(result.structuredContent).toBeUndefined();
    expectNoLeak(result, TOKEN);
  });
});

/** A value for `schema` whose every free-form string is `text()`; IDs stay IDs when `ids` is set. */
function synthesize(schema: Record<string, unknown> | undefined, text: () => string, ids: boolean, depth = 0): unknown {
  if (!schema || depth > 10) return null;
  if (schema.const !== undefined) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const alternatives = (schema.oneOf ?? schema.anyOf) as Record<string, unknown>[] | undefined;
  if (alternatives)
    return synthesize(alternatives.find((a) => a.type !== "null") ?? alternatives[0], text, ids, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  switch (type) {
    case "string": {
      const table = /ID from table "(\w+)"/.exec(String(schema.description ?? ""))?.[1];
      return ids && table ? deterministicConvexId(10010, `${table}-${depth}`) : text();
    }
    case "number":
    case "integer":
      return now - 60_000;
    case "boolean":
      return true;
    case "array":
      return [0, 1].map(() => synthesize(schema.items as Record<string, unknown>, text, ids, depth + 1));
    case "null":
      return null;
    default: {
      const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      const keys = Object.keys(properties);
      if (keys.length === 0) return { note: text() };
      return Object.fromEntries(keys.map((k) => [k, synthesize(properties[k], text, ids, depth + 1)]));
    }
  }
}

describe("every tool, with the token in every string of every answer shape", () => {
  it("no tool shows any piece of it, and text and structuredContent stay equal", async () => {
    const operations = new Map(exposedOperations().map((op) => [op.path, op]));
    const { tools } = await server.client.listTools();
    expect(tools.length).toBeGreaterThan(0);
    let answered = 0;
    for (const ids of [true, false]) {
      backend.respond = (request, res) => {
        const op = operations.get(request.path as never);
        const value = op ? synthesize(op.valueSchema as Record<string, unknown>, () => `x ${TOKEN} y`, ids) : null;
        // Operations document the envelope ({status, value}); the wire carries only the value.
        const inner = (value as { value?: unknown } | null)?.value;
        success(res, inner !== undefined ? inner : value);
      };
      for (const tool of tools) {
        const properties = (tool.inputSchema.properties ?? {}) as Record<string, Record<string, unknown>>;
        const args = Object.fromEntries(
          (tool.inputSchema.required ?? []).map((name) => {
            const value = synthesize(properties[name], () => "x", true);
            return [name, value];
          }),
        );
        const result = await call(args, tool.name);
        if (!result.isError) answered += 1;
        expectNoLeak(result, TOKEN);
        expectTextMatchesStructured(result);
      }
    }
    expect(answered).toBeGreaterThan(0);
  });
});

describe("tokens that must not be sent", () => {
  let other: HostileBackend;
  beforeAll(async () => {
    other = await startHostileBackend(normal);
  });
  afterAll(() => other?.close());

  async function withToken(token: string, check: (result: CallToolResult) => void) {
    other.reset();
    const s = await spawnStdioServer({ env: { CONNVO_CONVEX_URL: other.url, CONNVO_TOKEN: token } });
    try {
      const result = await call({ meetingId: MEETING }, "get_active_sessions", s);
      expect(result.isError, resultText(result)).toBe(true);
      check(result);
      expect(other.requests).toEqual([]); // refused locally: nothing reached the backend
      return s.transport.stderr;
    } finally {
      await s.close();
    }
  }

  it("the placeholder of the example configuration is refused without contacting Connvo", async () => {
    await withToken("<your Connvo access token>", (result) =>
      expect(resultText(result)).toMatch(/still the placeholder.*no request was sent.*Getting a Connvo access token/),
    );
  });

  it("a character outside ASCII (a pasted ellipsis) is named, not reported as a network error", async () => {
    await withToken("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyXzAxIn0.c2lnbmF0dXJl…", (result) => {
      expect(resultText(result)).toMatch(/outside printable ASCII \(U\+2026\) at position 58.*no request was sent/);
      expect(resultText(result)).not.toMatch(/network|reach/);
    });
  });

  it("a control character inside the token is named too", async () => {
    await withToken("abc\u0001defghijklmnopqrstuvwxyz0123456789", (result) =>
      expect(resultText(result)).toMatch(/a line break or control character at position 4/),
    );
  });
});

describe("a CONNVO_TOKEN shorter than 8 characters", () => {
  it("is redacted where it stands alone, in answers and in errors", async () => {
    const short = "k9Zq2";
    const b = await startHostileBackend();
    const s = await spawnStdioServer({ env: { CONNVO_CONVEX_URL: b.url, CONNVO_TOKEN: short } });
    try {
      b.respond = (_r, res) =>
        success(res, [row(1, {}, { displayName: short, avatarUrl: `https://x.example/a?t=${short}` }), row(2)]);
      const answer = await call({ meetingId: MEETING, format: "detailed" }, "get_active_sessions", s);
      expect(answer.isError ?? false, resultText(answer)).toBe(false);
      const everything = `${resultText(answer)}${JSON.stringify(answer.structuredContent)}`;
      expect(everything).not.toContain(short);
      expect(everything).toContain("[redacted]");
      expectTextMatchesStructured(answer);
      b.respond = (_r, res) =>
        json(res, 401, { code: "InvalidAuthHeader", message: `Could not decode token ${short}` });
      const error = await call({ meetingId: MEETING }, "get_active_sessions", s);
      expect(resultText(error)).toMatch(/could not validate the access token/);
      expect(resultText(error)).not.toContain(short);
      await expectServesNormally(s, b);
      expect(s.transport.stderr).not.toContain(short);
    } finally {
      await s.close();
      await b.close();
    }
  });
});
