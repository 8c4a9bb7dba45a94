/**
 * What a live subscription needs from a caller's backend: the deployment URL, the caller's token
 * source (the sync protocol authenticates with it and asks it for a fresh token when the
 * deployment rejects one), a key that says whose subscription it is (subscriptions are shared only
 * under the same key, so one token's answers never reach another token), and the HTTP query with
 * the backend's deadline, retries and limits (the polling fallback when no WebSocket opens).
 *
 * The backend provider (src/convex/provider.ts) registers one per backend it makes; a backend
 * without one (tests that bring their own) is followed by polling only.
 */
import type { TokenSource } from "../config/tokenSource.js";
import type { ConvexBackend } from "../convex/client.js";
import type { CancelSignal } from "../core/cancel.js";

export interface LiveSource {
  readonly url: string;
  /** undefined: no WebSocket for this caller, poll the HTTP query instead. */
  readonly tokens: TokenSource | undefined;
  /** Whose subscription it is; computed once, on first use. */
  readonly key: string;
  query(path: string, args: Record<string, unknown>, signal: CancelSignal): Promise<unknown>;
}

const sources = new WeakMap<ConvexBackend, LiveSource>();
const anonymous = new WeakMap<ConvexBackend, string>();
let anonymousCount = 0;

export function registerLiveSource(backend: ConvexBackend, source: LiveSource): ConvexBackend {
  sources.set(backend, source);
  return backend;
}

/** The registered source, or one that polls through the backend (keyed by the backend object). */
export function liveSourceOf(backend: ConvexBackend): LiveSource {
  const registered = sources.get(backend);
  if (registered) return registered;
  let key = anonymous.get(backend);
  if (key === undefined) {
    anonymousCount += 1;
    key = `backend:${anonymousCount}`;
    anonymous.set(backend, key);
  }
  return {
    url: backend.url,
    tokens: undefined,
    key,
    query: (path, args, signal) => backend.query(path, args, { signal }),
  };
}
