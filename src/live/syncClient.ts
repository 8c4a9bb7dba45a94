/**
 * Loads Convex's WebSocket client (`ConvexClient`, about 120 KB) and the `ws` WebSocket on the
 * first live watch, never at startup: the bundle maps `convex/browser` to its HTTP client for
 * everything else (scripts/build.mjs), and this module's dynamic import becomes a chunk of its own.
 * Node 20 has no global WebSocket, so `ws` is passed as the client's webSocketConstructor.
 */
import type { ConvexClient as ConvexClientType } from "convex/browser";

export type ConvexClient = ConvexClientType;

export interface SyncClientModule {
  ConvexClient: typeof ConvexClientType;
  WebSocket: unknown;
}

let loading: Promise<SyncClientModule> | undefined;

export function loadSyncClient(): Promise<SyncClientModule> {
  loading ??= Promise.all([import("convex/browser"), import("ws")]).then(([convex, ws]) => ({
    ConvexClient: convex.ConvexClient,
    WebSocket: (ws as { WebSocket?: unknown }).WebSocket ?? (ws as { default?: unknown }).default,
  }));
  // A failed load (a broken install) is retried by the next watch instead of being cached.
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}
