/**
 * What every backend made by one provider shares: the cap on concurrent requests, the table of
 * shared (in-flight) calls and the result cache. Sharing them across callers is the point: the
 * cap protects the deployment from this whole server, and identical calls from different agents
 * share one request. Users stay apart because every key starts with a hash of the token.
 */
import {
  DEFAULT_CACHE_TTL_MS,
  DEFAULT_MAX_CONCURRENCY,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_TIMEOUT_MS,
} from "../config/config.js";
import type { Answer, FetchLike } from "./attempt.js";
import { createResultCache, type ResultCache } from "./cache.js";
import { type Clock, systemClock } from "./clock.js";
import { type Exchange, exchangeViaFetch } from "./exchange.js";
import { createFastFetch } from "./fetch.js";
import { createLimiter, type Limiter } from "./limiter.js";
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from "./retry.js";
import { createSingleFlight, type SingleFlight } from "./singleflight.js";

export interface BackendLimits {
  /** Deadline of one call: token, queueing, every attempt and every backoff wait included. */
  timeoutMs: number;
  maxConcurrency: number;
  /** 0: no cache. */
  cacheTtlMs: number;
  maxResponseBytes: number;
  retry: RetryPolicy;
}

export interface BackendRuntime {
  readonly limits: BackendLimits;
  readonly clock: Clock;
  readonly fetch: FetchLike;
  readonly limiter: Limiter;
  readonly flights: SingleFlight<Answer>;
  readonly cache: ResultCache;
}

export interface BackendRuntimeOptions {
  limits?: Partial<BackendLimits>;
  clock?: Clock;
  fetch?: FetchLike;
}

export function createBackendRuntime(options: BackendRuntimeOptions = {}): BackendRuntime {
  const clock = options.clock ?? systemClock;
  const limits: BackendLimits = {
    timeoutMs: DEFAULT_TIMEOUT_MS,
    maxConcurrency: DEFAULT_MAX_CONCURRENCY,
    cacheTtlMs: DEFAULT_CACHE_TTL_MS,
    maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
    retry: DEFAULT_RETRY_POLICY,
    ...options.limits,
  };
  return {
    limits,
    clock,
    fetch: options.fetch ?? defaultFetch(),
    limiter: createLimiter(limits.maxConcurrency),
    flights: createSingleFlight<Answer>(),
    cache: createResultCache({ ttlMs: limits.cacheTtlMs, now: () => clock.now() }),
  };
}

/** Node's fetch as it was when this module loaded: anything else in its place is a test's stub. */
const nativeFetch = globalThis.fetch;

/**
 * The fast fetch (undici's request() over a keep-alive Agent, fetch.ts), one per runtime so the
 * runtime's connections are its own. A `globalThis.fetch` replaced after start (a test's stub) is
 * honoured, as it was when this called the global fetch.
 */
function defaultFetch(): FetchLike & { exchange: Exchange } {
  const fast = createFastFetch();
  const fetch = ((input, init) =>
    globalThis.fetch === nativeFetch ? fast(input, init) : globalThis.fetch(input, init)) as FetchLike & {
    exchange: Exchange;
  };
  fetch.exchange = (request) =>
    globalThis.fetch === nativeFetch ? fast.exchange(request) : exchangeViaFetch(globalThis.fetch, request);
  return fetch;
}
