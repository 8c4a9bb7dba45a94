/**
 * Chooses a backend client per caller. Local (stdio) and shared-secret callers use the server's
 * configured token source; an HTTP user who signed in brings their own token. All backends from
 * one provider share one runtime (concurrency cap, shared calls, cache), so the cap holds for the
 * whole server; every shared structure is keyed by a token hash, which keeps users apart.
 */
import type { ServerConfig, TokenSetting } from "../config/config.js";
import { commandTokenSource } from "../config/tokenCommand.js";
import { fileTokenSource } from "../config/tokenFile.js";
import { staticTokenSource, type TokenSource } from "../config/tokenSource.js";
import { ToolFailure } from "../core/failures.js";
import type { CallerIdentity } from "../core/identity.js";
import { log } from "../core/log.js";
import { type ConvexBackend, createConvexBackend, type FetchLike } from "./client.js";
import type { Clock } from "./clock.js";
import { DEFAULT_RETRY_POLICY } from "./retry.js";
import { type BackendRuntime, createBackendRuntime } from "./runtime.js";

export interface BackendProviderOptions {
  fetch?: FetchLike;
  clock?: Clock;
  /** Backoff base for retries (tests use a small one); the policy's default otherwise. */
  retryBaseDelayMs?: number;
}

export function createTokenSource(setting: TokenSetting): TokenSource {
  switch (setting.kind) {
    case "env":
      return staticTokenSource(setting.token, { kind: "env" });
    case "file":
      return fileTokenSource(setting.path);
    case "command":
      return commandTokenSource(setting.command, { timeoutMs: setting.timeoutMs });
  }
}

export function runtimeFor(config: ServerConfig, options: BackendProviderOptions = {}): BackendRuntime {
  const { backend } = config;
  return createBackendRuntime({
    fetch: options.fetch,
    clock: options.clock,
    limits: {
      timeoutMs: config.timeoutMs,
      maxConcurrency: backend.maxConcurrency,
      cacheTtlMs: backend.cacheTtlMs,
      maxResponseBytes: backend.maxResponseBytes,
      retry: {
        ...DEFAULT_RETRY_POLICY,
        maxAttempts: backend.maxRetries + 1,
        baseDelayMs: options.retryBaseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs,
      },
    },
  });
}

export function createBackendProvider(
  config: ServerConfig,
  options: BackendProviderOptions = {},
): (caller: CallerIdentity) => ConvexBackend {
  const { target, tokenSetting } = config;
  if (config.problems.length > 0 || !target || !tokenSetting) {
    const problems = config.problems;
    return () => {
      throw new ToolFailure({ kind: "config", problems });
    };
  }
  if (config.ignoredTokenVariables.length > 0) {
    const used = { env: "CONNVO_TOKEN", file: "CONNVO_TOKEN_FILE", command: "CONNVO_TOKEN_COMMAND" }[tokenSetting.kind];
    log("info", `token from ${used}; also set but not used: ${config.ignoredTokenVariables.join(", ")}`);
  }
  const runtime = runtimeFor(config, options);
  const shared = createConvexBackend({ url: target.url, token: createTokenSource(tokenSetting), runtime });
  return (caller) =>
    caller.kind === "user"
      ? createConvexBackend({ url: target.url, token: staticTokenSource(caller.token, { kind: "caller" }), runtime })
      : shared;
}
