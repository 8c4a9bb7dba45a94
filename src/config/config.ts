/**
 * Configuration: a public contract (documented in the README). Parsing never throws: a missing or
 * contradictory setting becomes a `ConfigProblem`, the server still starts (so a client can list
 * tools), and every tool call answers with the problem's fixed, actionable wording.
 */
import { homedir } from "node:os";
import { resolve } from "node:path";
import type { ConfigProblem } from "../core/failures.js";
import { DEPLOYMENTS } from "./deployments.generated.js";

export type DeploymentName = keyof typeof DEPLOYMENTS;
export const DEPLOYMENT_NAMES = Object.keys(DEPLOYMENTS) as DeploymentName[];

export const DEFAULT_TIMEOUT_MS = 10_000;
const MIN_TIMEOUT_MS = 100;
const MAX_TIMEOUT_MS = 120_000;

export const DEFAULT_MAX_CONCURRENCY = 8;
export const DEFAULT_CACHE_TTL_MS = 0;
/** Convex caps a function's return value at 16 MiB, so no answer a real deployment gives is refused. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_RETRIES = 4;
export const DEFAULT_TOKEN_COMMAND_TIMEOUT_MS = 10_000;

export type { ConfigProblem };

export interface BackendTarget {
  url: string;
  /** How the URL was chosen, for messages: "deployment prod", "CONNVO_CONVEX_URL", "demo". */
  label: string;
}

/**
 * Where the token comes from. Precedence when several are set: CONNVO_TOKEN_COMMAND, then
 * CONNVO_TOKEN_FILE, then CONNVO_TOKEN; the sources that can refresh win over a fixed value,
 * because a fixed JWT is the one that goes stale.
 */
export type TokenSetting =
  | { kind: "env"; token: string }
  | { kind: "file"; path: string }
  | { kind: "command"; command: string; timeoutMs: number };

/** Limits on backend calls (README: "Resilience"). */
export interface BackendSettings {
  maxConcurrency: number;
  cacheTtlMs: number;
  maxResponseBytes: number;
  /** Retries after the first attempt; 0 disables retrying. */
  maxRetries: number;
}

export interface ServerConfig {
  target?: BackendTarget;
  /** CONNVO_TOKEN, normalised (set even when a higher-precedence source is used). */
  token?: string;
  /** The token source in use; undefined when none is configured (then `problems` says so). */
  tokenSetting?: TokenSetting;
  /** Token variables that are set but lose to a higher-precedence one (logged at start). */
  ignoredTokenVariables: string[];
  timeoutMs: number;
  backend: BackendSettings;
  /** Which tools to offer (checked against the inventory by the CLI). */
  toolSelection: ToolSettings;
  problems: ConfigProblem[];
}

/** CONNVO_MCP_TOOLS, CONNVO_MCP_TOOLSETS (comma lists) and CONNVO_MCP_ENABLE_WRITES, or their flags. */
export interface ToolSettings {
  tools?: string[];
  toolsets?: string[];
  enableWrites: boolean;
}

/** Settings that may come from flags; flags win over the environment. */
export interface ConfigOverrides {
  deployment?: string;
  convexUrl?: string;
  timeoutMs?: string;
  tools?: string;
  toolsets?: string;
  enableWrites?: boolean;
}

const commaList = (raw: string | undefined): string[] | undefined => {
  const items = raw
    ?.split(",")
    .map((item) => item.trim())
    .filter(Boolean);
  return items && items.length > 0 ? items : undefined;
};

/** "1", "true", "yes", "on" (any case) enable; anything else leaves writes off. */
const truthy = (raw: string | undefined) => /^(1|true|yes|on)$/i.test(raw?.trim() ?? "");

export function parseToolSettings(env: Env, overrides: ConfigOverrides = {}): ToolSettings {
  return {
    tools: commaList(overrides.tools ?? env.CONNVO_MCP_TOOLS),
    toolsets: commaList(overrides.toolsets ?? env.CONNVO_MCP_TOOLSETS),
    enableWrites: overrides.enableWrites === true || truthy(env.CONNVO_MCP_ENABLE_WRITES),
  };
}

type Env = Record<string, string | undefined>;

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** People paste `Bearer eyJ...` or a token with a trailing newline; accept both. */
export function normalizeToken(raw: string | undefined): string | undefined {
  const value = nonEmpty(raw)?.replace(/^bearer\s+/i, "");
  return nonEmpty(value);
}

function parseUrl(raw: string, problems: ConfigProblem[], variable: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    problems.push({
      variable,
      message: `${variable} is not a URL. Set it to your Convex deployment URL, e.g. https://your-deployment.convex.cloud.`,
    });
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    problems.push({ variable, message: `${variable} must start with https:// (or http:// for a local backend).` });
    return undefined;
  }
  if (url.username || url.password) {
    problems.push({ variable, message: `${variable} must not contain credentials; pass the token in CONNVO_TOKEN.` });
    return undefined;
  }
  return url.origin;
}

interface IntRule {
  variable: string;
  min: number;
  max: number;
  fallback: number;
  unit: string;
}

/** A whole number within bounds, or the default plus a problem that says the allowed range. */
function parseInteger(raw: string | undefined, rule: IntRule, problems: ConfigProblem[]): number {
  if (raw === undefined) return rule.fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < rule.min || value > rule.max) {
    problems.push({
      variable: rule.variable,
      message: `${rule.variable} must be a whole number of ${rule.unit} between ${rule.min} and ${rule.max} (default ${rule.fallback}).`,
    });
    return rule.fallback;
  }
  return value;
}

function parseTimeout(raw: string | undefined, problems: ConfigProblem[]): number {
  const rule = {
    variable: "CONNVO_TIMEOUT_MS",
    min: MIN_TIMEOUT_MS,
    max: MAX_TIMEOUT_MS,
    fallback: DEFAULT_TIMEOUT_MS,
  };
  return parseInteger(raw, { ...rule, unit: "milliseconds" }, problems);
}

function parseBackendSettings(env: Env, problems: ConfigProblem[]): BackendSettings {
  const int = (variable: string, min: number, max: number, fallback: number, unit: string) =>
    parseInteger(nonEmpty(env[variable]), { variable, min, max, fallback, unit }, problems);
  return {
    maxConcurrency: int("CONNVO_MAX_CONCURRENCY", 1, 256, DEFAULT_MAX_CONCURRENCY, "requests"),
    cacheTtlMs: int("CONNVO_CACHE_TTL_MS", 0, 300_000, DEFAULT_CACHE_TTL_MS, "milliseconds"),
    maxResponseBytes: int(
      "CONNVO_MAX_RESPONSE_BYTES",
      64 * 1024,
      512 * 1024 * 1024,
      DEFAULT_MAX_RESPONSE_BYTES,
      "bytes",
    ),
    maxRetries: int("CONNVO_MAX_RETRIES", 0, 10, DEFAULT_MAX_RETRIES, "retries"),
  };
}

/** `~/x` means the home directory (clients pass env values unexpanded); relative paths use the cwd. */
function expandPath(raw: string): string {
  return resolve(raw === "~" || raw.startsWith("~/") ? homedir() + raw.slice(1) : raw);
}

const MISSING_TOKEN =
  "CONNVO_TOKEN is not set and no sign-in is stored. Run `connvo-mcp login` once in a terminal to sign in (the server then refreshes the token itself), or set CONNVO_TOKEN to your Connvo access token (the WorkOS-issued JWT you are signed in with) in the MCP server's env, then restart the server; or set CONNVO_TOKEN_FILE to a file that holds it, or CONNVO_TOKEN_COMMAND to a command that prints it. To try the server without an account, start it with --demo.";

function chooseTokenSetting(
  env: Env,
  token: string | undefined,
  problems: ConfigProblem[],
): { setting?: TokenSetting; ignored: string[] } {
  const command = nonEmpty(env.CONNVO_TOKEN_COMMAND);
  const file = nonEmpty(env.CONNVO_TOKEN_FILE);
  const candidates: Array<[string, TokenSetting | undefined]> = [
    [
      "CONNVO_TOKEN_COMMAND",
      command === undefined
        ? undefined
        : {
            kind: "command",
            command,
            timeoutMs: parseInteger(
              nonEmpty(env.CONNVO_TOKEN_COMMAND_TIMEOUT_MS),
              {
                variable: "CONNVO_TOKEN_COMMAND_TIMEOUT_MS",
                min: 100,
                max: 300_000,
                fallback: DEFAULT_TOKEN_COMMAND_TIMEOUT_MS,
                unit: "milliseconds",
              },
              problems,
            ),
          },
    ],
    ["CONNVO_TOKEN_FILE", file === undefined ? undefined : { kind: "file", path: expandPath(file) }],
    ["CONNVO_TOKEN", token === undefined ? undefined : { kind: "env", token }],
  ];
  const set = candidates.filter((c): c is [string, TokenSetting] => c[1] !== undefined);
  if (set.length === 0) {
    problems.push({ variable: "CONNVO_TOKEN", message: MISSING_TOKEN });
    return { ignored: [] };
  }
  return { setting: set[0]?.[1], ignored: set.slice(1).map(([name]) => name) };
}

function chooseTarget(deployment: string | undefined, convexUrl: string | undefined, problems: ConfigProblem[]) {
  if (deployment !== undefined && !(DEPLOYMENT_NAMES as string[]).includes(deployment.toLowerCase())) {
    problems.push({
      variable: "CONNVO_DEPLOYMENT",
      message: `CONNVO_DEPLOYMENT must be one of ${DEPLOYMENT_NAMES.join(", ")}; for any other deployment set CONNVO_CONVEX_URL instead.`,
    });
    return undefined;
  }
  const named = deployment ? (deployment.toLowerCase() as DeploymentName) : undefined;
  if (convexUrl !== undefined) {
    const url = parseUrl(convexUrl, problems, "CONNVO_CONVEX_URL");
    if (!url) return undefined;
    if (named && url.toLowerCase() !== DEPLOYMENTS[named].toLowerCase()) {
      problems.push({
        variable: "CONNVO_DEPLOYMENT",
        message: `CONNVO_DEPLOYMENT=${named} and CONNVO_CONVEX_URL=${url} point at different deployments. Unset one of them.`,
      });
      return undefined;
    }
    return { url, label: "CONNVO_CONVEX_URL" };
  }
  const name = named ?? "prod";
  return { url: DEPLOYMENTS[name].toLowerCase(), label: `deployment ${name}` };
}

export function loadConfig(env: Env, overrides: ConfigOverrides = {}): ServerConfig {
  const problems: ConfigProblem[] = [];
  const target = chooseTarget(
    nonEmpty(overrides.deployment) ?? nonEmpty(env.CONNVO_DEPLOYMENT),
    nonEmpty(overrides.convexUrl) ?? nonEmpty(env.CONNVO_CONVEX_URL),
    problems,
  );
  const token = normalizeToken(env.CONNVO_TOKEN);
  const { setting: tokenSetting, ignored: ignoredTokenVariables } = chooseTokenSetting(env, token, problems);
  const timeoutMs = parseTimeout(nonEmpty(overrides.timeoutMs) ?? nonEmpty(env.CONNVO_TIMEOUT_MS), problems);
  const backend = parseBackendSettings(env, problems);
  const toolSelection = parseToolSettings(env, overrides);
  return { target, token, tokenSetting, ignoredTokenVariables, timeoutMs, backend, toolSelection, problems };
}
