/**
 * The optional short result cache (off by default). Keys come from `callKey`, which starts with a
 * hash of the token, so one token's answer is never served to a caller with another token. Only
 * successful answers are stored. Memory is bounded by entry count and by the response bytes each
 * entry came from: lru-cache's `max`, `maxSize` and `ttl`, least recently used evicted first.
 */
import { createHash } from "node:crypto";
import { LRUCache } from "lru-cache";

/** JSON with object keys sorted, so {a,b} and {b,a} are the same call. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(record[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The last token's hash: a server uses one token (or a few), so hash it once, not on every call. */
let lastToken: { token: string; hash: string } | undefined;

/** Identifies "the same call": same token (hashed, never stored), same function, same arguments. */
export function callKey(token: string, functionPath: string, args: Record<string, unknown>): string {
  if (lastToken?.token !== token) {
    lastToken = { token, hash: createHash("sha256").update(token).digest("base64url") };
  }
  return `${lastToken.hash}\u0000${functionPath}\u0000${stableStringify(args)}`;
}

export interface ResultCache {
  get(key: string): { value: unknown } | undefined;
  set(key: string, value: unknown, bytes: number): void;
  readonly size: number;
}

export interface ResultCacheOptions {
  /** How long an answer is reused; an entry older than this is gone. 0 or less: no cache. */
  ttlMs: number;
  /** The clock the TTL is measured on (milliseconds; tests pass their own). */
  now: () => number;
  maxEntries?: number;
  /** Sum of the response sizes the stored values were parsed from. */
  maxBytes?: number;
}

const DEFAULT_MAX_ENTRIES = 256;
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

const NO_CACHE: ResultCache = { size: 0, get: () => undefined, set: () => {} };

export function createResultCache(options: ResultCacheOptions): ResultCache {
  const { ttlMs, now } = options;
  if (!(ttlMs > 0)) return NO_CACHE;
  const lru = new LRUCache<string, { value: unknown }>({
    max: options.maxEntries ?? DEFAULT_MAX_ENTRIES,
    // An answer larger than the whole budget is not stored at all (maxEntrySize defaults to it).
    maxSize: options.maxBytes ?? DEFAULT_MAX_BYTES,
    ttl: Math.ceil(ttlMs),
    // Staleness is checked against `now` on every get (no cached clock, no timers).
    ttlResolution: 0,
    perf: { now },
  });
  return {
    get size() {
      return lru.size;
    },
    get: (key) => lru.get(key),
    set(key, value, bytes) {
      // lru-cache sizes are positive integers; an empty answer still takes an entry.
      lru.set(key, { value }, { size: Math.max(1, Math.ceil(bytes)) });
    },
  };
}
