/**
 * Chooses a backend client per caller. Today every caller uses the server's configured token;
 * the caller identity is already threaded through so that per-user sign-in can later pick the
 * user's own credentials here without touching any tool.
 */
import type { ServerConfig } from "../config/config.js";
import type { CallerIdentity } from "../server.js";
import { ToolFailure } from "../tools/failures.js";
import { type ConvexBackend, createConvexBackend, type FetchLike } from "./client.js";

export function createBackendProvider(
  config: ServerConfig,
  options: { fetch?: FetchLike } = {},
): (caller: CallerIdentity) => ConvexBackend {
  const { target, token } = config;
  if (config.problems.length > 0 || !target || !token) {
    const problems = config.problems;
    return () => {
      throw new ToolFailure({ kind: "config", problems });
    };
  }
  const shared = createConvexBackend({ url: target.url, token, timeoutMs: config.timeoutMs, fetch: options.fetch });
  return (caller) =>
    caller.kind === "user"
      ? createConvexBackend({ url: target.url, token: caller.token, timeoutMs: config.timeoutMs, fetch: options.fetch })
      : shared;
}
