/**
 * Calls by kind against the demo deployment over real HTTP: each kind goes to its own endpoint,
 * a function called as the wrong kind is refused the way Convex refuses it, and the policies
 * differ: reads are retried and shared, writes are sent once unless declared idempotent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConvexBackend } from "../src/convex/client.js";
import { type DemoDeployment, startDemoDeployment } from "../src/demo/deployment.js";
import { failureOf } from "./helpers/results.js";

let demo: DemoDeployment;
const CHUNKS = "transcripts/ingestion:getTranscriptChunks";
const SESSIONS = "meetings/webrtc/index:getActiveSessions";

beforeAll(async () => {
  demo = await startDemoDeployment();
});
afterAll(() => demo.close());

const backend = () => createConvexBackend({ url: demo.url, token: demo.token, timeoutMs: 5000 });

describe("calls by kind", () => {
  it("a mutation goes to /api/mutation and answers", async () => {
    demo.resetStats();
    const value = await backend().call("mutation", CHUNKS, { meetingId: demo.meetings.healthy });
    expect(Array.isArray(value)).toBe(true);
    expect(demo.stats.byFunction[CHUNKS]).toBe(1);
  });

  it("a mutation sent as a query is refused as Convex refuses it, and said to be Connvo's side", async () => {
    const failure = await failureOf(backend().call("query", CHUNKS, { meetingId: demo.meetings.healthy }));
    expect(failure.kind).toBe("function_failed");
    expect(JSON.stringify(failure)).toMatch(/defined as Mutation/);
  });

  it("a query sent as a mutation is refused too", async () => {
    const failure = await failureOf(backend().call("mutation", SESSIONS, { meetingId: demo.meetings.healthy }));
    expect(JSON.stringify(failure)).toMatch(/as Mutation, but it is defined as Query/);
  });

  it("a failed mutation is sent once: no retry", async () => {
    demo.resetStats();
    demo.injectFault({ kind: "status", status: 503, functionPath: CHUNKS, times: 3 });
    const failure = await failureOf(backend().call("mutation", CHUNKS, { meetingId: demo.meetings.healthy }));
    expect(failure.kind).toBe("unavailable");
    expect(demo.stats.byFunction[CHUNKS]).toBe(1);
    demo.clearFaults();
  });

  it("an idempotent mutation is retried like a read", async () => {
    demo.resetStats();
    demo.injectFault({ kind: "status", status: 503, functionPath: CHUNKS, times: 1 });
    const b = createConvexBackend({ url: demo.url, token: demo.token, timeoutMs: 8000 });
    const value = await b.call("mutation", CHUNKS, { meetingId: demo.meetings.healthy }, { idempotent: true });
    expect(Array.isArray(value)).toBe(true);
    expect(demo.stats.byFunction[CHUNKS]).toBe(2);
  });

  it("identical concurrent mutations are not shared; identical concurrent queries are", async () => {
    demo.resetStats();
    demo.injectFault({ kind: "latency", ms: 150, times: 20 });
    const b = backend();
    const args = { meetingId: demo.meetings.healthy };
    await Promise.all(Array.from({ length: 5 }, () => b.call("mutation", CHUNKS, args)));
    await Promise.all(Array.from({ length: 5 }, () => b.call("query", SESSIONS, args)));
    expect(demo.stats.byFunction[CHUNKS]).toBe(5);
    expect(demo.stats.byFunction[SESSIONS]).toBe(1);
    demo.clearFaults();
  });

  it("a permission failure names the resource the call was about", async () => {
    const failure = await failureOf(
      backend().call(
        "query",
        SESSIONS,
        { meetingId: demo.meetings.forbidden },
        { resource: { table: "meetings", id: demo.meetings.forbidden } },
      ),
    );
    expect(failure).toEqual({ kind: "forbidden", resource: { table: "meetings", id: demo.meetings.forbidden } });
  });
});

describe("a token source that hangs", () => {
  it("is reported as the token source timing out, with nothing sent", async () => {
    demo.resetStats();
    const hanging = {
      info: { kind: "command" } as const,
      get: () => new Promise<string>(() => {}),
      afterRejection: () => Promise.resolve(undefined),
    };
    const b = createConvexBackend({ url: demo.url, token: hanging, timeoutMs: 300 });
    const failure = await failureOf(b.query(SESSIONS, { meetingId: demo.meetings.healthy }));
    expect(failure).toEqual({ kind: "token_timeout", timeoutMs: 300, source: { kind: "command" } });
    expect(demo.stats.queryRequests).toBe(0);
  });

  it("a fixed token never is: the deadline passing mid-request is the backend's", async () => {
    demo.injectFault({ kind: "hang", times: 1 });
    const failure = await failureOf(
      createConvexBackend({ url: demo.url, token: demo.token, timeoutMs: 300 }).query(SESSIONS, {
        meetingId: demo.meetings.healthy,
      }),
    );
    expect(failure.kind).toBe("timeout");
  });
});
