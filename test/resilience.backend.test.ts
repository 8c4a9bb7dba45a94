/**
 * The backend client end to end in-process against the demo deployment (real HTTP on loopback,
 * Convex's wire protocol): deadlines over retries, cancellation, shared calls, the cache, the
 * concurrency cap, the size limit and the expiry check, counted by the deployment's own stats.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/config.js";
import type { ConvexBackend } from "../src/convex/client.js";
import { createBackendProvider } from "../src/convex/provider.js";
import { type DemoDeployment, type DemoFault, FUNCTION_PATH, startDemoDeployment } from "../src/demo/deployment.js";
import { DEMO_MEETINGS, DEMO_TOKEN_CLAIMS } from "../src/demo/seed.js";
import { failureOf } from "./helpers/results.js";

let demo: DemoDeployment;
beforeAll(async () => {
  demo = await startDemoDeployment();
});
afterAll(() => demo?.close());
afterEach(() => {
  demo.clearFaults();
  demo.resetStats();
});

const HEALTHY = DEMO_MEETINGS.healthy.id;

/** A JWT the demo deployment accepts (it checks iss/aud/exp, then exact match). */
function demoJwt(expSec: number, nonce: string): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part({ ...DEMO_TOKEN_CLAIMS, exp: expSec, jti: nonce })}.sig`;
}

function localBackend(env: Record<string, string> = {}, token = demo.token): ConvexBackend {
  const config = loadConfig({ CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN: token, ...env });
  expect(config.problems).toEqual([]);
  return createBackendProvider(config)({ kind: "local" });
}

const query = (backend: ConvexBackend, meetingId = HEALTHY, signal?: AbortSignal) =>
  backend.query(FUNCTION_PATH, { meetingId }, { signal });

const inject = (fault: DemoFault) => demo.injectFault(fault);
const elapsed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const value = await fn();
  return [value, performance.now() - started];
};

describe("retries, within the deadline", () => {
  it("a 503 once, then success: two backend requests", async () => {
    inject({ kind: "status", status: 503, times: 1 });
    const rows = await query(localBackend());
    expect(Array.isArray(rows)).toBe(true);
    expect(demo.stats.queryRequests).toBe(2);
  });

  it("502, 504, reset mid-body and Convex's concurrency limit are retried too", async () => {
    const backend = localBackend();
    for (const fault of [
      { kind: "status", status: 502, times: 1 },
      { kind: "status", status: 504, times: 1 },
      { kind: "reset", times: 1 },
      { kind: "concurrencyLimit", times: 2 },
    ] as DemoFault[]) {
      demo.resetStats();
      inject(fault);
      await expect(query(backend)).resolves.toBeInstanceOf(Array);
      expect(demo.stats.queryRequests, JSON.stringify(fault)).toBe((fault.times ?? 1) + 1);
    }
  });

  it("a persistent 503 ends with the 503 error, before the deadline, after several attempts", async () => {
    inject({ kind: "status", status: 503 });
    // Ten retries with backoff would take well over 10 s if the deadline did not cover them. Bounds here
    // and below only separate "ends at the deadline" from "runs on": generous, since machines are noisy.
    const backend = localBackend({ CONNVO_TIMEOUT_MS: "800", CONNVO_MAX_RETRIES: "10" });
    const [failure, ms] = await elapsed(() => failureOf(query(backend)));
    expect(failure).toMatchObject({ kind: "unavailable", status: 503 });
    expect((failure as { attempts?: number }).attempts).toBe(demo.stats.queryRequests);
    expect(demo.stats.queryRequests).toBeGreaterThan(1);
    expect(ms).toBeLessThan(4000);
  });

  it("honours Retry-After when it fits the deadline", async () => {
    inject({ kind: "status", status: 429, retryAfter: "1", times: 1 });
    const [rows, ms] = await elapsed(() => query(localBackend({ CONNVO_TIMEOUT_MS: "3000" })));
    expect(rows).toBeInstanceOf(Array);
    expect(ms).toBeGreaterThanOrEqual(990);
    expect(demo.stats.queryRequests).toBe(2);
  });

  it("fails at once, saying how long to wait, when Retry-After is past the deadline", async () => {
    inject({ kind: "status", status: 429, retryAfter: "30" });
    const [failure, ms] = await elapsed(() => failureOf(query(localBackend())));
    expect(failure).toEqual({ kind: "rate_limited", retryAfterSec: 30 });
    expect(ms).toBeLessThan(5000); // the deadline is 10 s: it did not wait
    expect(demo.stats.queryRequests).toBe(1);
  });

  it("never retries auth, permission, validation or a 500", async () => {
    const backend = localBackend();
    const cases: Array<[DemoFault | undefined, string, string]> = [
      [{ kind: "unauthorizedExpired" }, HEALTHY, "token_expired"],
      [{ kind: "convexError", code: "FORBIDDEN", message: "no" }, HEALTHY, "forbidden"],
      [{ kind: "convexError", code: "MEETING_NOT_FOUND", message: "no" }, HEALTHY, "not_found"],
      [undefined, DEMO_MEETINGS.forbidden.id, "forbidden"],
      [{ kind: "status", status: 500 }, HEALTHY, "backend_error"],
      [{ kind: "malformed" }, HEALTHY, "bad_response"],
    ];
    for (const [fault, meetingId, kind] of cases) {
      demo.clearFaults();
      demo.resetStats();
      if (fault) inject(fault);
      expect((await failureOf(query(backend, meetingId))).kind).toBe(kind);
      expect(demo.stats.queryRequests, kind).toBe(1);
    }
  });
});

describe("deadline and cancellation", () => {
  it("a hang ends at the deadline as a timeout", async () => {
    inject({ kind: "hang" });
    const [failure, ms] = await elapsed(() => failureOf(query(localBackend({ CONNVO_TIMEOUT_MS: "500" }))));
    expect(failure).toMatchObject({ kind: "timeout", timeoutMs: 500 });
    expect(ms).toBeGreaterThanOrEqual(490);
    expect(ms).toBeLessThan(5000);
  });

  it("an MCP cancellation aborts the backend request at once", async () => {
    inject({ kind: "hang" });
    const controller = new AbortController();
    const pending = failureOf(query(localBackend(), HEALTHY, controller.signal));
    await waitFor(() => demo.stats.inFlight === 1);
    const started = performance.now();
    controller.abort(new Error("client cancelled"));
    expect(await pending).toEqual({ kind: "cancelled" });
    expect(performance.now() - started).toBeLessThan(5000); // the deadline is 10 s: it did not wait
    await waitFor(() => demo.stats.inFlight === 0); // the deployment saw the request go away
  });

  it("the deadline also covers waiting for a request slot", async () => {
    inject({ kind: "hang" });
    const backend = localBackend({ CONNVO_MAX_CONCURRENCY: "1", CONNVO_TIMEOUT_MS: "400" });
    // A shared call holds the only slot; a later identical call extends its life past the queued one's deadline.
    const holder = failureOf(query(backend));
    await waitFor(() => demo.stats.inFlight === 1);
    const queued = elapsed(() => failureOf(query(backend, DEMO_MEETINGS.empty.id)));
    await new Promise((r) => setTimeout(r, 150));
    const joiner = failureOf(query(backend));
    const [failure, ms] = await queued;
    expect(failure.kind).toBe("timeout");
    expect(ms).toBeLessThan(600);
    expect((await holder).kind).toBe("timeout");
    expect((await joiner).kind).toBe("timeout");
    expect(demo.stats.byMeeting[DEMO_MEETINGS.empty.id]).toBeUndefined(); // never got a slot
  });
});

describe("shared calls and the cap", () => {
  it("100 identical concurrent calls make one backend request", async () => {
    inject({ kind: "latency", ms: 200 });
    const backend = localBackend();
    const results = await Promise.all(Array.from({ length: 100 }, () => query(backend)));
    expect(demo.stats.queryRequests).toBe(1);
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
  });

  it("different tokens never share a request (per-user backends of one provider)", async () => {
    const other = demoJwt(4102444800, "other-user");
    demo.acceptToken(other);
    inject({ kind: "latency", ms: 150 });
    const provider = createBackendProvider(loadConfig({ CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN: demo.token }));
    const mine = provider({ kind: "local" });
    const theirs = provider({ kind: "user", subject: "u2", token: other });
    await Promise.all([query(mine), query(mine), query(theirs), query(theirs)]);
    expect(demo.stats.queryRequests).toBe(2);
  });

  it("one caller cancelling leaves the shared request to the others", async () => {
    inject({ kind: "latency", ms: 300 });
    const backend = localBackend();
    const controller = new AbortController();
    const leaving = failureOf(query(backend, HEALTHY, controller.signal));
    const staying = query(backend);
    setTimeout(() => controller.abort(new Error("cancel")), 50);
    expect(await leaving).toEqual({ kind: "cancelled" });
    await expect(staying).resolves.toBeInstanceOf(Array);
    expect(demo.stats.queryRequests).toBe(1);
  });

  it("never more than CONNVO_MAX_CONCURRENCY requests in flight; the rest queue and succeed", async () => {
    const tokens = Array.from({ length: 24 }, (_, i) => demoJwt(4102444800, `cap-${i}`));
    for (const t of tokens) demo.acceptToken(t);
    inject({ kind: "latency", ms: 60 });
    const provider = createBackendProvider(
      loadConfig({ CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN: demo.token, CONNVO_MAX_CONCURRENCY: "3" }),
    );
    const results = await Promise.all(
      tokens.map((token, i) => query(provider({ kind: "user", subject: `u${i}`, token }))),
    );
    expect(results).toHaveLength(24);
    expect(demo.stats.queryRequests).toBe(24);
    expect(demo.stats.maxConcurrent).toBeLessThanOrEqual(3);
    expect(demo.stats.maxConcurrent).toBe(3);
  });
});

describe("result cache", () => {
  it("is off by default", async () => {
    const backend = localBackend();
    await query(backend);
    await query(backend);
    expect(demo.stats.queryRequests).toBe(2);
  });

  it("with CONNVO_CACHE_TTL_MS serves repeats from memory, per token, and forgets after the TTL", async () => {
    const other = demoJwt(4102444800, "cache-other");
    demo.acceptToken(other);
    const provider = createBackendProvider(
      loadConfig({ CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN: demo.token, CONNVO_CACHE_TTL_MS: "300" }),
    );
    const mine = provider({ kind: "local" });
    const a = await query(mine);
    expect(await query(mine)).toEqual(a);
    expect(demo.stats.queryRequests).toBe(1);
    await query(provider({ kind: "user", subject: "x", token: other }));
    expect(demo.stats.queryRequests).toBe(2);
    await query(mine, DEMO_MEETINGS.empty.id);
    expect(demo.stats.queryRequests).toBe(3);
    // Failures are not cached.
    inject({ kind: "status", status: 500, times: 1 });
    await failureOf(query(mine, DEMO_MEETINGS.twoDevices.id));
    await query(mine, DEMO_MEETINGS.twoDevices.id);
    expect(demo.stats.queryRequests).toBe(5);
    await new Promise((r) => setTimeout(r, 350));
    await query(mine);
    expect(demo.stats.queryRequests).toBe(6);
  });
});

describe("hostile answers", () => {
  it("a multi-MB body past CONNVO_MAX_RESPONSE_BYTES is refused while streaming, not retried", async () => {
    inject({ kind: "huge", bytes: 3 * 1024 * 1024 });
    const failure = await failureOf(query(localBackend({ CONNVO_MAX_RESPONSE_BYTES: String(1024 * 1024) })));
    expect(failure).toMatchObject({ kind: "response_too_large", limitBytes: 1024 * 1024 });
    expect(demo.stats.queryRequests).toBe(1);
  });

  it("20,000 sessions under the default limit are read in bounded time", async () => {
    inject({ kind: "huge", sessions: 20_000 });
    const [rows, ms] = await elapsed(() => query(localBackend()));
    expect((rows as unknown[]).length).toBe(20_000);
    expect(ms).toBeLessThan(5000);
  });
});

describe("the token's expiry", () => {
  it("an expired JWT fails without a backend request, saying when it expired", async () => {
    const expiredAt = Math.floor(Date.now() / 1000) - 600;
    const failure = await failureOf(query(localBackend({}, demoJwt(expiredAt, "old"))));
    expect(failure).toMatchObject({
      kind: "token_expired_local",
      expiredAt: expiredAt * 1000,
      source: { kind: "env" },
    });
    expect(demo.stats.queryRequests).toBe(0);
  });

  it("a token that is not a readable JWT goes to the backend, which judges it", async () => {
    const failure = await failureOf(query(localBackend({}, "opaque-token-value")));
    expect(failure).toMatchObject({ kind: "token_invalid", source: { kind: "env" } });
    expect(demo.stats.queryRequests).toBe(1);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
