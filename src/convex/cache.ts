/**
 * The optional short result cache (off by default). Keys come from `callKey`, which starts with a
 * hash of the token, so one token's answer is never served to a caller with another token. Only
 * successful answers are stored. Memory is bounded by entry count and by the response bytes each
 * entry came from.
 */
import type { createHash as CreateHash } from "node:crypto";
import { createRequire } from "node:module";

// node:crypto takes ~7 ms to load; load it on the first call instead of at every start.
const lazyRequire = createRequire(import.meta.url);

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
    const { createHash } = lazyRequire("node:crypto") as { createHash: typeof CreateHash };
    lastToken = { token, hash: createHash("sha256").update(token).digest("base64url") };
  }
  const tokenHash = lastToken.hash;
  return `${tokenHash}\u0000${functionPath}\u0000${stableStringify(args)}`;
}

export interface ResultCache {
  get(key: string): { value: unknown } | undefined;
  set(key: string, value: unknown, bytes: number): void;
  readonly size: number;
}

export interface ResultCacheOptions {
  ttlMs: number;
  now: () => number;
  maxEntries?: number;
  /** Sum of the response sizes the stored values were parsed from. */
  maxBytes?: number;
}

const DEFAULT_MAX_ENTRIES = 256;
const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;

export function createResultCache(options: ResultCacheOptions): ResultCache {
  const { ttlMs, now } = options;
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  // Map keeps insertion order: the first entry is the oldest, evicted first.
  const entries = new Map<string, { value: unknown; bytes: number; expiresAt: number }>();
  let totalBytes = 0;

  const remove = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    totalBytes -= entry.bytes;
    entries.delete(key);
  };

  return {
    get size() {
      return entries.size;
    },
    get(key) {
      if (ttlMs <= 0) return undefined;
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expiresAt <= now()) {
        remove(key);
        return undefined;
      }
      return { value: entry.value };
    },
    set(key, value, bytes) {
      if (ttlMs <= 0 || bytes > maxBytes) return;
      remove(key);
      entries.set(key, { value, bytes, expiresAt: now() + ttlMs });
      totalBytes += bytes;
      for (const oldest of entries.keys()) {
        if (entries.size <= maxEntries && totalBytes <= maxBytes) break;
        remove(oldest);
      }
    },
  };
}
