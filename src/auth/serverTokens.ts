/**
 * Which token a server started without CONNVO_TOKEN, CONNVO_TOKEN_FILE or CONNVO_TOKEN_COMMAND
 * uses (the CLI asks only then):
 * - with CONNVO_MCP_AUTH=oauth, none of its own: every caller is a signed-in user with their own
 *   exchanged token, so "no token configured" is not a problem;
 * - otherwise the sign-in `connvo-mcp login` stored, when there is one (src/auth/signin.ts);
 * - else nothing changes: every call says how to configure a token.
 */
import type { ServerConfig } from "../config/config.js";
import type { TokenSource } from "../config/tokenSource.js";
import { ToolFailure } from "../core/failures.js";
import { log } from "../core/log.js";
import { signInTokenSource } from "./signin.js";
import { readSignIn, signInPath } from "./store.js";

type Env = Record<string, string | undefined>;

/** The "no token is set" problem config.ts reports; solved by the sign-in (or not needed with OAuth). */
const withoutMissingToken = (config: ServerConfig): ServerConfig => ({
  ...config,
  problems: config.problems.filter((p) => !(p.variable === "CONNVO_TOKEN" && !config.tokenSetting)),
});

/** OAuth over HTTP: callers without a verified user never reach a tool, so this never answers. */
const noServerToken: TokenSource = {
  info: { kind: "oauth" },
  get: () => Promise.reject(new ToolFailure({ kind: "internal" })),
  afterRejection: () => Promise.resolve(undefined),
};

export async function serverTokens(
  config: ServerConfig,
  options: { env?: Env; oauth: boolean },
): Promise<{ config: ServerConfig; tokens?: TokenSource }> {
  if (config.tokenSetting) return { config };
  if (options.oauth) return { config: withoutMissingToken(config), tokens: noServerToken };
  const env = options.env ?? process.env;
  const path = signInPath(env);
  const read = await readSignIn(path);
  if (read.kind === "missing") {
    log(
      "info",
      "no Connvo token is configured and no one is signed in: run `connvo-mcp login` once, or set CONNVO_TOKEN",
    );
    return { config };
  }
  if (read.kind === "ok") {
    const { signIn } = read;
    log("info", `token from the connvo-mcp login sign-in (${path})`);
    if (config.target && signIn.deployment.url.toLowerCase() !== config.target.url.toLowerCase()) {
      log(
        "warn",
        `the stored sign-in was made for ${signIn.deployment.label} (${signIn.deployment.url}), but this server calls ${config.target.label} (${config.target.url}); run connvo-mcp login with the same CONNVO_DEPLOYMENT if Connvo refuses the token`,
      );
    }
  }
  return { config: withoutMissingToken(config), tokens: signInTokenSource(path) };
}
