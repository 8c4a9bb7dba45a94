// The floors' backend call: connvo-mcp's own (src/convex/attempt.ts callOnce, Convex's wire protocol
// over connvo-mcp's fetch), made the same way connvo-mcp makes it, without connvo-mcp's retries,
// limiter, shared calls or deadline around it. Reads CONNVO_CONVEX_URL and CONNVO_TOKEN.
import { callOnce } from "../../src/convex/attempt.js";
import { createFastFetch } from "../../src/convex/fetch.js";

export const FLOOR_FUNCTION = "meetings/webrtc/index:getActiveSessions";

export function floorBackendCall(): (args: Record<string, unknown>) => Promise<unknown> {
  const fetch = createFastFetch();
  const url = process.env.CONNVO_CONVEX_URL ?? "";
  const token = process.env.CONNVO_TOKEN ?? "";
  const signal = new AbortController().signal;
  return async (args) =>
    (
      await callOnce({
        url,
        token,
        kind: "query",
        functionPath: FLOOR_FUNCTION,
        args,
        signal,
        fetch,
        maxResponseBytes: 8 * 1024 * 1024,
      })
    ).value;
}
