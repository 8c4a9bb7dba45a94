/**
 * The demo deployment, driven by the real ConvexHttpClient (what the MCP server uses) and by plain
 * fetch for the OpenAPI route and the control routes. Texts are asserted exactly where they copy
 * Convex's, because the server's error mapping is tested against them.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConvexHttpClient } from "convex/browser";
import { ConvexError } from "convex/values";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { deterministicConvexId, isConvexId } from "../src/convex/ids.js";
import { CONNECTION_QUALITIES, type SessionRow } from "../src/convex/types.js";
import { type DemoDeployment, type DemoFault, FUNCTION_PATH, startDemoDeployment } from "../src/demo/deployment.js";
import {
  DEMO_MEETINGS,
  DEMO_MISSING_MEETING_ID,
  DEMO_TOKEN,
  DEMO_USER_ID,
  HOSTILE_NAMES,
  makeGeneratedMeeting,
  makeSessions,
} from "../src/demo/seed.js";
import { parseList } from "../src/openapi/registry.js";

const parseActiveSessions = (value: unknown) =>
  parseList<import("../src/convex/types.js").SessionRow>("meetings/webrtc/index:getActiveSessions", value);

const T0 = Date.parse("2025-06-02T15:00:00Z");
let clock = T0;
let demo: DemoDeployment;

const SEC = 1000;
const MIN = 60 * SEC;

beforeAll(async () => {
  demo = await startDemoDeployment({ now: () => clock });
});
afterAll(async () => {
  await demo.close();
});
beforeEach(() => {
  clock = T0;
});
afterEach(() => {
  demo.clearFaults();
});

function client(options: { token?: string | null; fetch?: typeof fetch } = {}): ConvexHttpClient {
  const c = new ConvexHttpClient(demo.url, { logger: false, skipConvexDeploymentUrlCheck: true, fetch: options.fetch });
  if (options.token !== null) c.setAuth(options.token ?? demo.token);
  return c;
}

function query(meetingId: unknown, c = client()): Promise<SessionRow[]> {
  return c.query(FUNCTION_PATH as never, { meetingId } as never) as Promise<SessionRow[]>;
}

/** What ConvexHttpClient rejects with: an Error, or a ConvexError carrying `data`. */
type Failure = Error & { data?: { code?: string; [key: string]: unknown } };

async function failure(promise: Promise<unknown>): Promise<Failure> {
  try {
    await promise;
  } catch (error) {
    return error as Failure;
  }
  throw new Error("expected the call to fail");
}

/** Rows must be what the OpenAPI document promises (checked by the schema derived from it), and realistic. */
function expectValidRow(row: SessionRow, meetingId: string): void {
  expect(parseActiveSessions([row])).toEqual({ rows: [row], unreadable: 0 });
  expect(row.meetingId).toBe(meetingId);
  expect(["connecting", "connected", "disconnected"]).toContain(row.state); // what the real query returns
  if (row.connectionQuality !== undefined) expect(CONNECTION_QUALITIES).toContain(row.connectionQuality);
  expect(row.user._id).toBe(row.userId);
  expect(isConvexId(row._id) && isConvexId(row.userId)).toBe(true);
  expect(row.sessionId).toMatch(/^sess_[A-Za-z0-9]{20}$/);
  if (row.user.avatarUrl !== undefined) expect(row.user.avatarUrl).toMatch(/^https:\/\/avatars\.connvo\.app\//);
}

function runRoute(
  body: unknown,
  headers: Record<string, string> = { Authorization: `Bearer ${DEMO_TOKEN}` },
): Promise<Response> {
  return fetch(`${demo.url}/api/run/meetings/webrtc/index/getActiveSessions`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}
function jwt(claims: Record<string, unknown>): string {
  return `${b64url({ alg: "RS256", typ: "JWT", kid: "k1" })}.${b64url(claims)}.c2lnbmF0dXJl`;
}
const workosClaims = (extra: Record<string, unknown> = {}) => ({
  sub: "user_demo",
  iss: "https://api.workos.com/",
  aud: "connvo-demo",
  exp: Math.floor(clock / 1000) + 3600,
  ...extra,
});

describe("successful queries through ConvexHttpClient", () => {
  it("returns the healthy meeting's rows, fresh at request time", async () => {
    const rows = await query(DEMO_MEETINGS.healthy.id);
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      expectValidRow(row, DEMO_MEETINGS.healthy.id);
      expect(row.state).toBe("connected");
      expect(["excellent", "good"]).toContain(row.connectionQuality);
      expect(clock - (row.lastMetricsAt as number)).toBeLessThan(10 * SEC);
    }
    expect(rows.map((r) => r.user.displayName)).toContain("Alex Morgan");
    expect(rows.some((r) => r.userId === DEMO_USER_ID)).toBe(true);

    clock += 5 * MIN;
    const later = await query(DEMO_MEETINGS.healthy.id);
    expect(later[0]?.createdAt).toBe((rows[0]?.createdAt as number) + 5 * MIN);
    expect(later[0]?._id).toBe(rows[0]?._id); // same documents, new timestamps
  });

  it("serves each named meeting with its defining trait", async () => {
    const poor = await query(DEMO_MEETINGS.poorConnection.id);
    expect(poor.filter((r) => r.connectionQuality === "poor")).toHaveLength(1);
    expect(poor.filter((r) => r.connectionQuality === "fair")).toHaveLength(1);
    expect(poor.filter((r) => r.connectionQuality === "good").length).toBeGreaterThanOrEqual(2);

    const two = await query(DEMO_MEETINGS.twoDevices.id);
    const grace = two.filter((r) => r.user.displayName === "Grace O'Neill");
    expect(grace.map((r) => r.state).sort()).toEqual(["connected", "connecting"]);
    expect(new Set(grace.map((r) => r.userId)).size).toBe(1);
    expect(String(grace.find((r) => r.state === "connecting")?.metadata?.userAgent)).toMatch(/iPhone/);

    const stuck = (await query(DEMO_MEETINGS.stuckConnecting.id)).find((r) => r.state === "connecting");
    expect(clock - (stuck?.createdAt as number)).toBeGreaterThan(5 * MIN);

    const dropped = (await query(DEMO_MEETINGS.dropped.id)).find((r) => r.state === "disconnected");
    expect(clock - (dropped?.updatedAt as number)).toBeGreaterThan(MIN);
    expect(clock - (dropped?.updatedAt as number)).toBeLessThan(5 * MIN);

    for (const row of await query(DEMO_MEETINGS.noQualityData.id)) {
      expect(row).not.toHaveProperty("connectionQuality");
      expect(row).not.toHaveProperty("lastMetricsAt");
    }
    for (const row of await query(DEMO_MEETINGS.staleMetrics.id)) {
      expect(clock - (row.lastMetricsAt as number)).toBeGreaterThanOrEqual(10 * MIN);
    }
    expect(await query(DEMO_MEETINGS.empty.id)).toEqual([]);
  });

  it("serves a ~400-person meeting with a realistic mix", async () => {
    const rows = await query(DEMO_MEETINGS.large.id);
    expect(rows.length).toBeGreaterThanOrEqual(380);
    expect(rows.length).toBeLessThanOrEqual(420);
    for (const row of rows) expectValidRow(row, DEMO_MEETINGS.large.id);
    const has = (pred: (r: SessionRow) => boolean) => rows.filter(pred).length;
    expect(has((r) => r.connectionQuality === "poor")).toBeGreaterThan(0);
    expect(has((r) => r.connectionQuality === "fair")).toBeGreaterThan(0);
    expect(has((r) => r.state === "connecting")).toBeGreaterThan(0);
    expect(has((r) => r.state === "disconnected")).toBeGreaterThan(0);
    expect(has((r) => r.user.displayName === undefined)).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => r.userId)).size).toBeLessThan(rows.length); // some on two devices
    expect(new Set(rows.map((r) => r._id)).size).toBe(rows.length);
  });

  it("orders rows as the real query does: connecting, connected, then disconnected", async () => {
    for (const meeting of [DEMO_MEETINGS.large, DEMO_MEETINGS.dropped, DEMO_MEETINGS.twoDevices]) {
      const order = (await query(meeting.id)).map((r) => ["connecting", "connected", "disconnected"].indexOf(r.state));
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  });

  it("serves hostile display names verbatim (sanitizing is the server's job)", async () => {
    const rows = await query(DEMO_MEETINGS.hostileNames.id);
    const names = rows.map((r) => r.user.displayName);
    for (const name of Object.values(HOSTILE_NAMES)) expect(names).toContain(name);
    expect(names).toContain(undefined);
    expect(HOSTILE_NAMES.huge.length).toBeGreaterThan(10 * 1024);
    expect(rows.some((r) => String(r.metadata?.userAgent).includes("Ignore previous instructions"))).toBe(true);
  });

  it.each([
    ["size1", 1],
    ["size10", 10],
    ["size100", 100],
    ["size1000", 1000],
  ] as const)("serves %s with exactly %i sessions", async (name, count) => {
    const rows = await query(DEMO_MEETINGS[name].id);
    expect(rows).toHaveLength(count);
    expect(demo.meetings[name]).toBe(DEMO_MEETINGS[name].id);
  });

  it("makeSessions is deterministic apart from the clock", () => {
    const a = makeSessions(50, T0, { seed: "x" });
    const b = makeSessions(50, T0 + MIN, { seed: "x" });
    expect(b.map((r) => r._id)).toEqual(a.map((r) => r._id));
    expect(b[0]?.createdAt).toBe((a[0]?.createdAt as number) + MIN);
    expect(makeSessions(7, T0, { mix: "noQuality" }).every((r) => r.connectionQuality === undefined)).toBe(true);
  });

  it("serves extra meetings passed at start", async () => {
    const extra = makeGeneratedMeeting("bench-37", 37);
    const other = await startDemoDeployment({ extraMeetings: { bench37: extra } });
    try {
      expect(other.meetings.bench37).toBe(extra.id);
      const c = new ConvexHttpClient(other.url, { logger: false, skipConvexDeploymentUrlCheck: true });
      c.setAuth(other.token);
      expect(await c.query(FUNCTION_PATH as never, { meetingId: extra.id } as never)).toHaveLength(37);
    } finally {
      await other.close();
    }
  });
});

describe("function failures", () => {
  it("FORBIDDEN for a meeting the demo user is not in, as a ConvexError with data", async () => {
    const error = await failure(query(DEMO_MEETINGS.forbidden.id));
    expect(error).toBeInstanceOf(ConvexError);
    expect(error.data).toEqual({
      code: "FORBIDDEN",
      message: "Access denied: Not a meeting participant",
      statusCode: 403,
      metadata: { meetingId: DEMO_MEETINGS.forbidden.id, userId: DEMO_USER_ID },
    });
    expect(error.message).toMatch(
      /^\[Request ID: [0-9a-f]{16}\] Server Error\nUncaught ConvexError: \{"code":"FORBIDDEN"/,
    );
  });

  it("MEETING_NOT_FOUND for an unknown meeting, or FORBIDDEN as the real backend does", async () => {
    const error = await failure(query(DEMO_MISSING_MEETING_ID));
    expect(error.data).toMatchObject({ code: "MEETING_NOT_FOUND", message: "Meeting not found" });

    const strict = await startDemoDeployment({ unknownMeeting: "forbidden" });
    try {
      const c = new ConvexHttpClient(strict.url, { logger: false, skipConvexDeploymentUrlCheck: true });
      c.setAuth(strict.token);
      expect(
        (await failure(c.query(FUNCTION_PATH as never, { meetingId: DEMO_MISSING_MEETING_ID } as never))).data?.code,
      ).toBe("FORBIDDEN");
    } finally {
      await strict.close();
    }
  });

  it("UNAUTHORIZED when no token is sent (the query runs unauthenticated)", async () => {
    const error = await failure(query(DEMO_MEETINGS.healthy.id, client({ token: null })));
    expect(error).toBeInstanceOf(ConvexError);
    expect(error.data).toEqual({ code: "UNAUTHORIZED", message: "Authentication required", statusCode: 401 });
  });

  it("ArgumentValidationError for a string that is not an ID", async () => {
    const error = await failure(query("abc"));
    expect(error).not.toBeInstanceOf(ConvexError);
    expect(error.data).toBeUndefined();
    expect(error.message).toMatch(/^\[Request ID: [0-9a-f]{16}\] Server Error\n/);
    expect(error.message).toContain(
      'ArgumentValidationError: Value does not match validator.\nPath: .meetingId\nValue: "abc"\nValidator: v.id("meetings")\n\n',
    );
  });

  it("ArgumentValidationError naming the table for an ID of another table", async () => {
    const error = await failure(query(DEMO_USER_ID));
    expect(error.message).toContain(
      `ArgumentValidationError: Found ID "${DEMO_USER_ID}" from table \`users\`, which does not match the table name in validator \`v.id("meetings")\`.Path: .meetingId`,
    );
    // A table this deployment doesn't have: a plain mismatch.
    const foreign = deterministicConvexId(42, "elsewhere");
    expect((await failure(query(foreign))).message).toContain(`Value: "${foreign}"\nValidator: v.id("meetings")`);
    expect((await failure(query(42))).message).toContain("Value: 42.0\n");
  });

  it("ArgumentValidationError for missing and extra fields", async () => {
    const c = client();
    const missing = await failure(c.query(FUNCTION_PATH as never, {} as never));
    expect(missing.message).toContain(
      'ArgumentValidationError: Object is missing the required field `meetingId`. Consider wrapping the field validator in `v.optional(...)` if this is expected.\n\nObject: {}\nValidator: v.object({meetingId: v.id("meetings")})\n\n',
    );
    const extra = await failure(
      c.query(FUNCTION_PATH as never, { meetingId: DEMO_MEETINGS.healthy.id, limit: 5 } as never),
    );
    expect(extra.message).toContain(
      `ArgumentValidationError: Object contains extra field \`limit\` that is not in the validator.\n\nObject: {limit: 5.0, meetingId: "${DEMO_MEETINGS.healthy.id}"}`,
    );
  });

  it("an unknown function path", async () => {
    const error = await failure(client().query("meetings/webrtc/index:nope" as never, {} as never));
    expect(error.message).toMatch(
      /^\[Request ID: [0-9a-f]{16}\] Server Error\nCould not find public function for 'meetings\/webrtc\/index:nope'\.\n$/,
    );
  });
});

describe("authentication (HTTP 401, which ConvexHttpClient throws as the body text)", () => {
  const healthy = () => DEMO_MEETINGS.healthy.id;

  it("a token that is not a JWT", async () => {
    const error = await failure(query(healthy(), client({ token: "not-a-jwt-at-all" })));
    expect(error.message).toBe('{"code":"InvalidAuthHeader","message":"Could not parse JWT payload"}');
  });

  it("an expired token, with how long ago it expired", async () => {
    const expired = jwt(workosClaims({ exp: Math.floor(clock / 1000) - 8 }));
    demo.acceptToken(expired);
    const error = await failure(query(healthy(), client({ token: expired })));
    expect(error.message).toBe(
      '{"code":"InvalidAuthHeader","message":"Could not validate token: Token expired 8 seconds ago"}',
    );
    clock += 60 * SEC;
    expect((await failure(query(healthy(), client({ token: expired })))).message).toContain(
      "Token expired 68 seconds ago",
    );
  });

  it("a well-formed token that is not accepted, then accepted, then revoked (rotation)", async () => {
    const rotated = jwt(workosClaims({ sub: "user_demo", jti: "rotation-1" }));
    expect((await failure(query(healthy(), client({ token: rotated })))).message).toBe(
      '{"code":"InvalidAuthHeader","message":"Could not decode token"}',
    );
    demo.acceptToken(rotated);
    expect(await query(healthy(), client({ token: rotated }))).toHaveLength(4);
    demo.revokeToken(rotated);
    expect((await failure(query(healthy(), client({ token: rotated })))).message).toContain("Could not decode token");
  });

  it("a token from another issuer or audience, or missing claims", async () => {
    expect(
      (await failure(query(healthy(), client({ token: jwt(workosClaims({ iss: "https://evil.example/" })) })))).message,
    ).toBe('{"code":"NoAuthProvider","message":"No auth provider found matching the given token"}');
    const { iss: _iss, ...noIssuer } = workosClaims();
    expect((await failure(query(healthy(), client({ token: jwt(noIssuer) })))).message).toContain(
      "Missing issuer in JWT payload",
    );
    const { aud: _aud, ...noAudience } = workosClaims();
    expect((await failure(query(healthy(), client({ token: jwt(noAudience) })))).message).toContain(
      "Missing audience in JWT payload",
    );
  });

  it("a header that is not a bearer token", async () => {
    const response = await fetch(`${demo.url}/api/query`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Basic dXNlcjpwYXNz" },
      body: JSON.stringify({ path: FUNCTION_PATH, format: "convex_encoded_json", args: [{ meetingId: healthy() }] }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ code: "InvalidAuthHeader", message: "Header must begin with `bearer `" });
  });
});

describe("faults", () => {
  const healthy = () => DEMO_MEETINGS.healthy.id;

  it("latency delays, then answers normally", async () => {
    demo.injectFault({ kind: "latency", ms: 150 });
    const started = performance.now();
    expect(await query(healthy())).toHaveLength(4);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it.each([500, 502, 503, 504] as const)("status %i", async (status) => {
    demo.injectFault({ kind: "status", status, times: 2 });
    const response = await fetch(`${demo.url}/api/query`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${demo.token}` },
      body: JSON.stringify({ path: FUNCTION_PATH, format: "convex_encoded_json", args: [{ meetingId: healthy() }] }),
    });
    expect(response.status).toBe(status);
    const text = await response.text();
    const error = await failure(query(healthy()));
    expect(error.message).toBe(text);
    if (status === 500)
      expect(JSON.parse(text)).toEqual({
        code: "InternalServerError",
        message: "Your request couldn't be completed. Try again later.",
      });
    if (status === 503)
      expect(JSON.parse(text)).toEqual({ code: "ServiceUnavailable", message: "Service temporarily unavailable" });
    expect(await query(healthy())).toHaveLength(4); // used up
  });

  it("status 429 with Retry-After and a custom body", async () => {
    demo.injectFault({ kind: "status", status: 429, retryAfter: "7", body: "slow down" });
    const response = await runRoute({ args: { meetingId: healthy() }, format: "json" });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("7");
    expect(await response.text()).toBe("slow down");
  });

  it("hang: never answers until the client aborts", async () => {
    demo.injectFault({ kind: "hang", times: 1 });
    const controller = new AbortController();
    const abortingFetch: typeof fetch = (input, init) => fetch(input, { ...init, signal: controller.signal });
    const pending = failure(query(healthy(), client({ fetch: abortingFetch })));
    await vi.waitFor(() => expect(demo.stats.inFlight).toBe(1));
    await new Promise((r) => setTimeout(r, 100));
    expect(demo.stats.inFlight).toBe(1); // still hanging
    controller.abort();
    expect((await pending).name).toBe("AbortError");
    await vi.waitFor(() => expect(demo.stats.inFlight).toBe(0));
    expect(await query(healthy())).toHaveLength(4);
  });

  it("malformed: a 200 whose JSON is cut off", async () => {
    demo.injectFault({ kind: "malformed" });
    expect(await failure(query(healthy()))).toBeInstanceOf(SyntaxError);
  });

  it("wrongShape: success, but value is not an array", async () => {
    demo.injectFault({ kind: "wrongShape" });
    expect(await query(healthy())).toEqual({ not: "an array" });
  });

  it("badRows: good rows mixed with rows missing required fields", async () => {
    demo.injectFault({ kind: "badRows" });
    const rows = (await query(healthy())) as unknown[];
    const good = rows.filter(
      (r) =>
        typeof r === "object" && r !== null && "_id" in r && "user" in r && (r as SessionRow).state === "connected",
    );
    expect(good.length).toBeGreaterThanOrEqual(4);
    expect(rows.some((r) => typeof r === "object" && r !== null && !("_id" in r))).toBe(true);
    expect(rows.some((r) => typeof r === "object" && r !== null && !("user" in r))).toBe(true);
    expect(rows).toContain(null);
  });

  it("reset: headers and half a body, then the connection dies", async () => {
    demo.injectFault({ kind: "reset", times: 1 });
    const error = await failure(query(healthy()));
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(ConvexError);
    expect(await query(healthy())).toHaveLength(4);
  });

  it("huge: tens of thousands of rows, or a multi-MB body", async () => {
    demo.injectFault({ kind: "huge", sessions: 20_000, times: 1 });
    const rows = await query(healthy());
    expect(rows).toHaveLength(20_000);
    expect(rows[0]?.meetingId).toBe(healthy());

    demo.injectFault({ kind: "huge", bytes: 5_000_000, times: 1 });
    const response = await runRoute({ args: { meetingId: healthy() }, format: "json" });
    expect(response.status).toBe(200);
    expect((await response.arrayBuffer()).byteLength).toBeGreaterThanOrEqual(5_000_000);
  }, 30_000);

  it("unauthorizedExpired: the 401 an expired token gets", async () => {
    demo.injectFault({ kind: "unauthorizedExpired", secondsAgo: 81 });
    expect((await failure(query(healthy()))).message).toBe(
      '{"code":"InvalidAuthHeader","message":"Could not validate token: Token expired 81 seconds ago"}',
    );
  });

  it("convexError: any code the backend might throw", async () => {
    demo.injectFault({
      kind: "convexError",
      code: "RATE_LIMIT_EXCEEDED",
      message: "Rate limit exceeded for query",
      data: { statusCode: 429 },
    });
    const error = await failure(query(healthy()));
    expect(error).toBeInstanceOf(ConvexError);
    expect(error.data).toEqual({
      code: "RATE_LIMIT_EXCEEDED",
      message: "Rate limit exceeded for query",
      statusCode: 429,
    });
  });

  it("concurrencyLimit: Convex's 429 TooManyConcurrentRequests", async () => {
    demo.injectFault({ kind: "concurrencyLimit" });
    const error = await failure(query(healthy()));
    expect(JSON.parse(error.message)).toEqual({
      code: "TooManyConcurrentRequests",
      message:
        "Too many concurrent requests. Your backend is limited to 16 concurrent queries. To get more resources, upgrade to Convex Pro. If you are already on Convex Pro, please contact support.",
    });
  });

  it("takes the first matching fault, honours times and meetingId", async () => {
    demo.injectFault({ kind: "wrongShape", times: 1 });
    demo.injectFault({ kind: "convexError", code: "A", message: "a", times: 2, meetingId: DEMO_MEETINGS.dropped.id });
    demo.injectFault({ kind: "malformed", times: 1 });
    expect(await query(DEMO_MEETINGS.dropped.id)).toEqual({ not: "an array" }); // first in line
    expect((await failure(query(healthy()))).name).toBe("SyntaxError"); // skips the dropped-only fault
    expect((await failure(query(DEMO_MEETINGS.dropped.id))).data?.code).toBe("A");
    expect((await failure(query(DEMO_MEETINGS.dropped.id))).data?.code).toBe("A");
    expect(await query(DEMO_MEETINGS.dropped.id)).toHaveLength(4);
    expect(demo.faults).toEqual([]);
  });

  it("can be driven over HTTP from another process", async () => {
    const post = await fetch(`${demo.url}/_demo/faults`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify([
        { kind: "wrongShape", times: 1 },
        { kind: "latency", ms: 10 },
      ]),
    });
    expect(await post.json()).toEqual({ ok: true, pending: 2 });
    expect(((await (await fetch(`${demo.url}/_demo/faults`)).json()) as { faults: DemoFault[] }).faults).toEqual([
      { kind: "wrongShape", times: 1 },
      { kind: "latency", ms: 10 },
    ]);
    expect(await query(healthy())).toEqual({ not: "an array" });
    expect((await fetch(`${demo.url}/_demo/faults`, { method: "DELETE" })).status).toBe(200);
    expect(demo.faults).toEqual([]);

    const bad = await fetch(`${demo.url}/_demo/faults`, { method: "POST", body: JSON.stringify({ kind: "explode" }) });
    expect(bad.status).toBe(400);
    expect(demo.faults).toEqual([]);
  });
});

describe("the OpenAPI route", () => {
  it("answers 200 {status: success, value} with the same rows", async () => {
    const response = await runRoute({ args: { meetingId: DEMO_MEETINGS.healthy.id }, format: "json" });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; value: SessionRow[] };
    expect(body.status).toBe("success");
    expect(body.value).toEqual(await query(DEMO_MEETINGS.healthy.id));
  });

  it("answers function failures with 400 {status: error, errorMessage, errorData}", async () => {
    const forbidden = await runRoute({ args: { meetingId: DEMO_MEETINGS.forbidden.id }, format: "json" });
    expect(forbidden.status).toBe(400);
    const body = (await forbidden.json()) as { status: string; errorMessage: string; errorData: { code: string } };
    expect(body.status).toBe("error");
    expect(body.errorData.code).toBe("FORBIDDEN");
    expect(body.errorMessage).toContain("Uncaught ConvexError");

    const badId = await runRoute({ args: { meetingId: "abc" }, format: "json" });
    expect(badId.status).toBe(400);
    expect(((await badId.json()) as { errorMessage: string }).errorMessage).toContain("ArgumentValidationError");

    const noAuth = await runRoute({ args: { meetingId: DEMO_MEETINGS.healthy.id }, format: "json" }, {});
    expect(((await noAuth.json()) as { errorData: { code: string } }).errorData.code).toBe("UNAUTHORIZED");
  });

  it("answers bad auth with 401 JSON and a bad body with 400", async () => {
    const unauthorized = await runRoute(
      { args: { meetingId: DEMO_MEETINGS.healthy.id } },
      { Authorization: "Bearer nope" },
    );
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.json()).toEqual({ code: "InvalidAuthHeader", message: "Could not parse JWT payload" });
    expect((await runRoute("{not json")).status).toBe(400);
  });
});

describe("HTTP hygiene", () => {
  it("health, stats, unknown routes, wrong methods, oversized bodies", async () => {
    expect((await fetch(`${demo.url}/_demo/health`)).status).toBe(200);
    expect((await fetch(`${demo.url}/nope`)).status).toBe(404);
    expect((await fetch(`${demo.url}/api/query`)).status).toBe(405);
    const big = await fetch(`${demo.url}/api/query`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ path: FUNCTION_PATH, args: [{ meetingId: "x".repeat(2 * 1024 * 1024) }] }),
    });
    expect(big.status).toBe(413);
  });

  it("counts requests, concurrency and meetings", async () => {
    demo.resetStats();
    demo.injectFault({ kind: "latency", ms: 100, times: 5 });
    await Promise.all(Array.from({ length: 5 }, () => query(DEMO_MEETINGS.healthy.id)));
    await query(DEMO_MEETINGS.empty.id);
    const stats = demo.stats;
    expect(stats).toMatchObject({ requests: 6, queryRequests: 6, inFlight: 0 });
    expect(stats.maxConcurrent).toBe(5);
    expect(stats.byMeeting).toEqual({ [DEMO_MEETINGS.healthy.id]: 5, [DEMO_MEETINGS.empty.id]: 1 });
    expect(await (await fetch(`${demo.url}/_demo/stats`)).json()).toEqual(stats);
    demo.resetStats();
    expect(demo.stats).toMatchObject({ requests: 0, queryRequests: 0, byMeeting: {}, maxConcurrent: 0 });
  });

  it("writes nothing to stdout or stderr", async () => {
    const out = vi.spyOn(process.stdout, "write");
    const err = vi.spyOn(process.stderr, "write");
    try {
      await query(DEMO_MEETINGS.healthy.id);
      await failure(query("abc"));
      await failure(query(DEMO_MEETINGS.healthy.id, client({ token: "x" })));
      expect(out).not.toHaveBeenCalled();
      expect(err).not.toHaveBeenCalled();
    } finally {
      out.mockRestore();
      err.mockRestore();
    }
  });

  it("logs only through the log option", async () => {
    const lines: string[] = [];
    const logged = await startDemoDeployment({ log: (line) => lines.push(line) });
    try {
      await fetch(`${logged.url}/_demo/health`);
      await vi.waitFor(() => expect(lines.some((l) => l.startsWith("GET /_demo/health -> 200"))).toBe(true));
    } finally {
      await logged.close();
    }
  });

  it("close() is fast with a hanging request and the port stops answering", async () => {
    const other = await startDemoDeployment();
    other.injectFault({ kind: "hang" });
    const c = new ConvexHttpClient(other.url, { logger: false, skipConvexDeploymentUrlCheck: true });
    c.setAuth(other.token);
    const pending = failure(c.query(FUNCTION_PATH as never, { meetingId: DEMO_MEETINGS.healthy.id } as never));
    await vi.waitFor(() => expect(other.stats.inFlight).toBe(1));
    const started = performance.now();
    await other.close();
    expect(performance.now() - started).toBeLessThan(5000); // the request hangs forever otherwise
    expect(await pending).toBeInstanceOf(Error);
    await expect(fetch(`${other.url}/_demo/health`)).rejects.toThrow();
  });

  it("does not keep the process alive after close()", async () => {
    const dir = mkdtempSync(join(tmpdir(), "demo-deployment-"));
    const script = join(dir, "run.mts");
    const deploymentModule = fileURLToPath(new URL("../src/demo/deployment.ts", import.meta.url));
    writeFileSync(
      script,
      `import { startDemoDeployment } from ${JSON.stringify(deploymentModule)};
const demo = await startDemoDeployment();
demo.injectFault({ kind: "hang" });
demo.injectFault({ kind: "latency", ms: 60000 });
const pending = fetch(demo.url + "/api/query", { method: "POST", body: "{}" }).catch(() => {});
await new Promise((r) => setTimeout(r, 200));
await demo.close();
await pending;
`,
    );
    const started = performance.now();
    const child = spawn(process.execPath, ["--import", "tsx", script], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        resolve(null);
      }, 15_000);
      child.on("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code, output).toBe(0);
    expect(output).toBe("");
    expect(performance.now() - started).toBeLessThan(15_000);
  }, 20_000);
});

describe("the large data of the benchmark's example calls (LARGE_DATA)", () => {
  it("gives the all-hands a long summary and many prompts, and the archived meetings summaries, only when asked", async () => {
    const { LARGE_DATA } = await import("../src/demo/examples.js");
    const big = await startDemoDeployment({ ...LARGE_DATA });
    const plain = await startDemoDeployment();
    try {
      const large = big.world.byName.large;
      const insight = large?.insights.values().next().value;
      expect(insight?.actionItems).toHaveLength(LARGE_DATA.largeSummaryItems);
      expect(insight?.recommendations).toHaveLength(LARGE_DATA.largeSummaryItems);
      expect(large?.prompts).toHaveLength(LARGE_DATA.largePrompts);
      expect(new Set(large?.prompts.map((p) => p._id)).size).toBe(LARGE_DATA.largePrompts);
      for (const prompt of large?.prompts ?? []) expect(big.world.prompts.get(prompt._id)?.meeting).toBe(large);
      const bulk = Object.values(big.world.byName).filter((m) => m.key.startsWith("bulk"));
      expect(bulk).toHaveLength(LARGE_DATA.bulkMeetings);
      for (const meeting of bulk) expect(meeting.insights.size).toBe(1);
      // Served through the deployment's functions, as the tools read them.
      const client = new ConvexHttpClient(big.url);
      client.setAuth(big.token);
      const insights = (await client.query(
        "insights/queries:getUserInsights" as never,
        { limit: 100 } as never,
      )) as unknown[];
      expect(insights.length).toBeGreaterThan(LARGE_DATA.bulkMeetings);
      expect(plain.world.byName.large?.insights.size).toBe(0);
      expect(plain.world.byName.large?.prompts).toHaveLength(0);
    } finally {
      await big.close();
      await plain.close();
    }
  });
});
