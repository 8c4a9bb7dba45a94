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
import { registerLiveSource } from "../live/source.js";
import { callKey } from "./cache.js";
import { type ConvexBackend, createConvexBackend, type FetchLike } from "./client.js";
import type { Clock } from "./clock.js";
import { DEFAULT_RETRY_POLICY } from "./retry.js";
import { type BackendRuntime, createBackendRuntime } from "./runtime.js";
import { createUserLimits } from "./userLimits.js";

export interface BackendProviderOptions {
  fetch?: FetchLike;
  clock?: Clock;
  /** Backoff base for retries (tests use a small one); the policy's default otherwise. */
  retryBaseDelayMs?: number;
  /**
   * The token source of local and shared-secret callers, instead of `config.tokenSetting`: the
   * stored `connvo-mcp login` sign-in when no token is configured (src/auth/signin.ts).
   */
  tokens?: TokenSource;
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
  if (config.problems.length > 0 || !target || (!tokenSetting && !options.tokens)) {
    const problems = config.problems;
    return () => {
      throw new ToolFailure({ kind: "config", problems });
    };
  }
  if (tokenSetting && config.ignoredTokenVariables.length > 0) {
    const used = { env: "CONNVO_TOKEN", file: "CONNVO_TOKEN_FILE", command: "CONNVO_TOKEN_COMMAND" }[tokenSetting.kind];
    log("info", `token from ${used}; also set but not used: ${config.ignoredTokenVariables.join(", ")}`);
  }
  const runtime = runtimeFor(config, options);
  // Each signed-in user gets a share of the cap (src/convex/userLimits.ts); the rest is shared.
  const users = createUserLimits(runtime);
  const configured = options.tokens ?? createTokenSource(tokenSetting as TokenSetting);
  return withLiveSources(target.url, configured, (url, token, user) =>
    createConvexBackend({ url, token, runtime: user === undefined ? runtime : users.runtimeFor(user) }),
  );
}

/**
 * Registers, with every backend, what a live subscription needs (src/live/source.ts): the same
 * token source, and a key per token (users) or for the configured source (local callers).
 */
function withLiveSources(
  url: string,
  configured: TokenSource,
  make: (url: string, token: TokenSource, user?: string) => ConvexBackend,
): (caller: CallerIdentity) => ConvexBackend {
  const live = (backend: ConvexBackend, tokens: TokenSource, key: () => string) => {
    let memo: string | undefined;
    return registerLiveSource(backend, {
      url,
      tokens,
      get key() {
        memo ??= key();
        return memo;
      },
      query: (path, args, signal) => backend.query(path, args, { signal }),
    });
  };
  const shared = live(make(url, configured), configured, () => "configured");
  return (caller) => {
    if (caller.kind !== "user") return shared;
    // An OAuth user: the token exchanged for them (never the token their client sent).
    if ("tokens" in caller) {
      return live(make(url, caller.tokens, caller.subject), caller.tokens, () => `user:${caller.subject}`);
    }
    const tokens = staticTokenSource(caller.token, { kind: "caller" });
    return live(make(url, tokens, caller.subject), tokens, () => `user:${callKey(caller.token, "live", {})}`);
  };
}
