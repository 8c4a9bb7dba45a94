/**
 * The building blocks of resilient backend calls, each alone and with a fake clock where time
 * matters: retry decisions and the retry loop, the concurrency limiter, shared calls and their
 * cancellation rules, the result cache, and the streaming body limit.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ResponseTooLarge, readBodyLimited } from "../src/convex/bodyLimit.js";
import { callKey, createResultCache, stableStringify } from "../src/convex/cache.js";
import type { Clock } from "../src/convex/clock.js";
import { createLimiter } from "../src/convex/limiter.js";
import { DEFAULT_RETRY_POLICY, isRetryable, type RetryPolicy, retryDelay, withRetries } from "../src/convex/retry.js";
import { createSingleFlight } from "../src/convex/singleflight.js";
import type { CancelSignal } from "../src/core/cancel.js";
import { type Failure, ToolFailure } from "../src/core/failures.js";

/** Time moves only when someone sleeps or an attempt "takes" time. */
function fakeClock(random: () => number = () => 0.5) {
  let now = 1_000_000;
  const sleeps: number[] = [];
  const clock: Clock & { sleeps: number[]; advance(ms: number): void } = {
    now: () => now,
    random,
    sleeps,
    advance: (ms) => {
      now += ms;
    },
    async sleep(ms, signal) {
      signal?.throwIfAborted();
      sleeps.push(ms);
      now += ms;
    },
  };
  return clock;
}

const URL_ = "http://backend.test";
const unavailable: Failure = { kind: "unavailable", status: 503, url: URL_ };
const refused: Failure = { kind: "unreachable", url: URL_, cause: "connection refused", transient: true };
const notFound: Failure = { kind: "unreachable", url: URL_, cause: "host name not found", transient: false };
const rateLimited = (retryAfterSec?: number): Failure => ({ kind: "rate_limited", retryAfterSec });
const POLICY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000, minAttemptMs: 50 };

describe("retryDelay: when to retry and for how long", () => {
  it("retries only transient failures", () => {
    for (const f of [unavailable, refused, rateLimited(), rateLimited(1)]) expect(isRetryable(f)).toBe(true);
    const never: Failure[] = [
      notFound,
      { kind: "token_expired" },
      { kind: "token_invalid" },
      { kind: "unauthorized" },
      { kind: "forbidden", resource: { table: "meetings", id: "m" } },
      { kind: "not_found", resource: { table: "meetings", id: "m" } },
      { kind: "backend_validation" },
      { kind: "backend_error", url: URL_, status: 500 },
      { kind: "bad_response", url: URL_, what: "x" },
      { kind: "response_too_large", url: URL_, limitBytes: 1 },
      { kind: "function_missing", url: URL_, functionPath: "f" },
    ];
    for (const f of never) {
      expect(isRetryable(f), f.kind).toBe(false);
      expect(retryDelay(f, 1, 60_000, POLICY, () => 0.5)).toBeUndefined();
    }
  });

  it("backs off exponentially with full jitter", () => {
    expect(retryDelay(unavailable, 1, 60_000, POLICY, () => 0.999)).toBe(99);
    expect(retryDelay(unavailable, 2, 60_000, POLICY, () => 0.999)).toBe(199);
    expect(retryDelay(unavailable, 3, 60_000, POLICY, () => 0.999)).toBe(399);
    expect(retryDelay(unavailable, 4, 60_000, POLICY, () => 0)).toBe(0);
    expect(retryDelay(unavailable, 5, 60_000, POLICY, () => 0.5)).toBeUndefined(); // maxAttempts
  });

  it("honours Retry-After as a floor, and fails now when it asks for more than is left", () => {
    expect(retryDelay(rateLimited(2), 1, 5_000, POLICY, () => 0.5)).toBe(2000);
    expect(retryDelay(rateLimited(7), 1, 1_500, POLICY, () => 0.5)).toBeUndefined();
    expect(retryDelay({ ...unavailable, retryAfterSec: 1 }, 1, 5_000, POLICY, () => 0)).toBe(1000);
  });

  it("property: a delay is never negative, never past the deadline, never below Retry-After", () => {
    const failure = fc.oneof(
      fc.constant(unavailable),
      fc.constant(refused),
      fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined }).map(rateLimited),
    );
    fc.assert(
      fc.property(
        failure,
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: -1000, max: 30_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (f, attempt, remaining, r) => {
          const delay = retryDelay(f, attempt, remaining, DEFAULT_RETRY_POLICY, () => r);
          if (delay === undefined) return;
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay + DEFAULT_RETRY_POLICY.minAttemptMs).toBeLessThanOrEqual(remaining);
          expect(attempt).toBeLessThan(DEFAULT_RETRY_POLICY.maxAttempts);
          const after = "retryAfterSec" in f ? f.retryAfterSec : undefined;
          if (after !== undefined) expect(delay).toBeGreaterThanOrEqual(after * 1000);
          else expect(delay).toBeLessThan(DEFAULT_RETRY_POLICY.maxDelayMs);
        },
      ),
    );
  });
});

describe("withRetries", () => {
  const run = (
    script: Array<Failure | "ok">,
    opts: { deadlineMs?: number; attemptMs?: number; random?: () => number } = {},
  ) => {
    const clock = fakeClock(opts.random);
    const deadlineAt = clock.now() + (opts.deadlineMs ?? 10_000);
    let calls = 0;
    const promise = withRetries(
      async () => {
        const step = script[calls++] ?? "ok";
        clock.advance(opts.attemptMs ?? 10);
        if (step === "ok") return "value";
        throw new ToolFailure(step);
      },
      {
        policy: POLICY,
        clock,
        signal: new AbortController().signal,
        deadlineAt: () => deadlineAt,
        classify: (e) => (e as ToolFailure).failure,
      },
    );
    return { promise, clock, calls: () => calls, deadlineAt };
  };

  it("succeeds after transient failures", async () => {
    const r = run([unavailable, refused, rateLimited()]);
    await expect(r.promise).resolves.toBe("value");
    expect(r.calls()).toBe(4);
    expect(r.clock.sleeps).toEqual([50, 100, 200]); // random 0.5 of 100, 200, 400
  });

  it("never retries a permanent failure", async () => {
    const r = run([{ kind: "forbidden", resource: { table: "meetings", id: "m" } }]);
    await expect(r.promise).rejects.toMatchObject({ failure: { kind: "forbidden" } });
    expect(r.calls()).toBe(1);
  });

  it("stops at the deadline and reports the last failure with the attempt count", async () => {
    const r = run(Array(10).fill(unavailable), { deadlineMs: 500, attemptMs: 100, random: () => 0.99 });
    const error = (await r.promise.catch((e) => e)) as ToolFailure;
    expect(error.failure).toMatchObject({ kind: "unavailable", status: 503 });
    expect(r.clock.now()).toBeLessThanOrEqual(r.deadlineAt);
    expect((error.failure as { attempts?: number }).attempts).toBe(r.calls());
    expect(r.calls()).toBeGreaterThan(1);
  });

  it("fails at once when Retry-After is longer than the time left", async () => {
    const r = run([rateLimited(30)], { deadlineMs: 10_000 });
    await expect(r.promise).rejects.toMatchObject({ failure: { kind: "rate_limited", retryAfterSec: 30 } });
    expect(r.clock.sleeps).toEqual([]);
  });

  it("gives up after maxAttempts", async () => {
    const r = run(Array(10).fill(unavailable), { random: () => 0 });
    await expect(r.promise).rejects.toMatchObject({ failure: { kind: "unavailable", attempts: 5 } });
    expect(r.calls()).toBe(5);
  });
});

describe("limiter", () => {
  it("caps concurrency and serves the queue in order", async () => {
    const limiter = createLimiter(2);
    const order: number[] = [];
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const release = await limiter.acquire();
        active++;
        peak = Math.max(peak, active);
        order.push(i);
        await new Promise((r) => setTimeout(r, 5));
        active--;
        release();
      }),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(limiter.active).toBe(0);
  });

  it("a waiter whose signal aborts leaves the queue; a double release frees one slot only", async () => {
    const limiter = createLimiter(1);
    const first = await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    expect(limiter.queued).toBe(1);
    controller.abort(new Error("deadline"));
    await expect(waiting).rejects.toThrow("deadline");
    expect(limiter.queued).toBe(0);
    first();
    first();
    expect(limiter.active).toBe(0);
    const a = await limiter.acquire();
    const b = limiter.acquire();
    expect(limiter.queued).toBe(1);
    a();
    (await b)();
    expect(limiter.active).toBe(0);
  });
});

/** Shared work starts on a microtask; let it. */
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("shared calls (singleflight)", () => {
  const deferred = <T>() => {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };

  it("runs identical concurrent calls once and gives everyone the answer", async () => {
    const flights = createSingleFlight<string>();
    let runs = 0;
    const gate = deferred<string>();
    const work = async () => {
      runs++;
      return gate.promise;
    };
    const calls = Array.from({ length: 100 }, () => flights.run("k", new AbortController().signal, 0, work));
    const other = flights.run("other", new AbortController().signal, 0, async () => "other");
    gate.resolve("answer");
    expect(await Promise.all(calls)).toEqual(Array(100).fill("answer"));
    expect(await other).toBe("other");
    expect(runs).toBe(1);
    expect(flights.size).toBe(0);
    // After it settled, the next call runs again (sharing is not caching).
    await flights.run("k", new AbortController().signal, 0, work);
    expect(runs).toBe(2);
  });

  it("shares failures too", async () => {
    const flights = createSingleFlight<string>();
    const gate = deferred<string>();
    const a = flights.run("k", new AbortController().signal, 0, () => gate.promise);
    const b = flights.run("k", new AbortController().signal, 0, () => gate.promise);
    gate.reject(new Error("boom"));
    await expect(a).rejects.toThrow("boom");
    await expect(b).rejects.toThrow("boom");
  });

  it("one caller cancelling does not cancel the others' shared request", async () => {
    const flights = createSingleFlight<string>();
    const gate = deferred<string>();
    let workSignal: CancelSignal | undefined;
    const work = async (flight: { signal: CancelSignal }) => {
      workSignal = flight.signal;
      return gate.promise;
    };
    const leaving = new AbortController();
    const a = flights.run("k", leaving.signal, 0, work);
    const b = flights.run("k", new AbortController().signal, 0, work);
    leaving.abort(new Error("cancelled by client"));
    await expect(a).rejects.toThrow("cancelled by client");
    expect(workSignal?.aborted).toBe(false);
    gate.resolve("answer");
    await expect(b).resolves.toBe("answer");
  });

  it("aborts the shared request when every caller has left, and a new caller starts afresh", async () => {
    const flights = createSingleFlight<string>();
    const signals: CancelSignal[] = [];
    const work = (flight: { signal: CancelSignal }) => {
      signals.push(flight.signal);
      return new Promise<string>(() => {}); // never settles by itself
    };
    const c1 = new AbortController();
    const c2 = new AbortController();
    const a = flights.run("k", c1.signal, 0, work);
    const b = flights.run("k", c2.signal, 0, work);
    c1.abort(new Error("x"));
    c2.abort(new Error("y"));
    await expect(a).rejects.toThrow("x");
    await expect(b).rejects.toThrow("y");
    expect(signals[0]?.aborted).toBe(true);
    void flights.run("k", new AbortController().signal, 0, work).catch(() => {});
    await tick();
    expect(signals).toHaveLength(2);
    expect(signals[1]?.aborted).toBe(false);
  });

  it("a later joiner extends the shared deadline", async () => {
    const flights = createSingleFlight<number>();
    const gate = deferred<void>();
    let deadlineOf: (() => number) | undefined;
    const p = flights.run("k", new AbortController().signal, 100, async (flight) => {
      deadlineOf = flight.deadlineAt;
      await gate.promise;
      return flight.deadlineAt();
    });
    const q = flights.run("k", new AbortController().signal, 250, async () => -1);
    await tick();
    expect(deadlineOf?.()).toBe(250);
    gate.resolve();
    expect(await p).toBe(250);
    expect(await q).toBe(250);
  });
});

describe("result cache", () => {
  it("keys by token hash, function and arguments; never holds the token itself", () => {
    const a = callKey("token-aaaaaaaa", "f", { meetingId: "m", x: 1 });
    expect(callKey("token-aaaaaaaa", "f", { x: 1, meetingId: "m" })).toBe(a);
    expect(callKey("token-bbbbbbbb", "f", { meetingId: "m", x: 1 })).not.toBe(a);
    expect(callKey("token-aaaaaaaa", "g", { meetingId: "m", x: 1 })).not.toBe(a);
    expect(callKey("token-aaaaaaaa", "f", { meetingId: "n", x: 1 })).not.toBe(a);
    expect(a).not.toContain("token-aaaaaaaa");
    expect(stableStringify({ b: [1, { d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[1,{"c":2,"d":1}]}');
  });

  it("is off with a TTL of 0, expires entries, and stays within its bounds", () => {
    let now = 50_000;
    const off = createResultCache({ ttlMs: 0, now: () => now });
    off.set("k", 1, 10);
    expect(off.get("k")).toBeUndefined();

    const cache = createResultCache({ ttlMs: 1000, now: () => now, maxEntries: 3, maxBytes: 100 });
    cache.set("k", "v", 10);
    expect(cache.get("k")).toEqual({ value: "v" });
    now = 51_000; // exactly the TTL old: still served
    expect(cache.get("k")).toEqual({ value: "v" });
    now = 51_001;
    expect(cache.get("k")).toBeUndefined();
    for (const k of ["a", "b", "c", "d"]) cache.set(k, k, 10);
    expect(cache.size).toBe(3);
    expect(cache.get("a")).toBeUndefined(); // oldest evicted
    cache.set("big", "x", 95);
    expect(cache.get("big")).toEqual({ value: "x" });
    expect(cache.size).toBe(1); // byte budget
    cache.set("huge", "x", 101);
    expect(cache.get("huge")).toBeUndefined();
  });

  it("evicts the least recently used answer first: a hit counts as use", () => {
    const now = 50_000;
    const cache = createResultCache({ ttlMs: 1000, now: () => now, maxEntries: 2 });
    cache.set("a", "A", 1);
    cache.set("b", "B", 1);
    expect(cache.get("a")).toEqual({ value: "A" });
    cache.set("c", "C", 1);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toEqual({ value: "A" });
    expect(cache.get("c")).toEqual({ value: "C" });
  });
});

describe("body limit", () => {
  const streamed = (chunks: number, size: number, headers: Record<string, string> = {}) => {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ >= chunks) return controller.close();
        controller.enqueue(new Uint8Array(size).fill(65));
      },
    });
    return { response: new Response(body, { headers }), sent: () => sent };
  };

  it("reads a body under the limit", async () => {
    const { response } = streamed(4, 1000);
    expect((await readBodyLimited(response, 4000)).byteLength).toBe(4000);
  });

  it("stops reading (does not download the rest) once past the limit", async () => {
    const { response, sent } = streamed(10_000, 1000);
    await expect(readBodyLimited(response, 5000)).rejects.toBeInstanceOf(ResponseTooLarge);
    expect(sent()).toBeLessThan(20);
  });

  it("refuses a declared Content-Length over the limit without reading", async () => {
    const { response, sent } = streamed(10, 1000, { "content-length": "10000" });
    await expect(readBodyLimited(response, 5000)).rejects.toMatchObject({ limitBytes: 5000 });
    expect(sent()).toBeLessThanOrEqual(1);
  });

  it("truncates error bodies instead of failing", async () => {
    const { response } = streamed(100, 1000);
    expect((await readBodyLimited(response, 8192, true)).byteLength).toBe(8192);
  });
});
