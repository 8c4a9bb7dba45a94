/**
 * Configuration: a public contract (documented in the README). Parsing never throws: a missing or
 * contradictory setting becomes a `ConfigProblem`, the server still starts (so a client can list
 * tools), and every tool call answers with the problem's fixed, actionable wording.
 */
import { DEPLOYMENTS } from "../openapi/generated.js";

export type DeploymentName = keyof typeof DEPLOYMENTS;
export const DEPLOYMENT_NAMES = Object.keys(DEPLOYMENTS) as DeploymentName[];

export const DEFAULT_TIMEOUT_MS = 10_000;
const MIN_TIMEOUT_MS = 100;
const MAX_TIMEOUT_MS = 120_000;

export interface ConfigProblem {
  /** The variable (or flag) the user has to change. */
  variable: string;
  /** What is wrong and exactly how to fix it. Never contains a secret. */
  message: string;
}

export interface BackendTarget {
  url: string;
  /** How the URL was chosen, for messages: "deployment prod", "CONNVO_CONVEX_URL", "demo". */
  label: string;
}

export interface ServerConfig {
  target?: BackendTarget;
  token?: string;
  timeoutMs: number;
  problems: ConfigProblem[];
}

/** Settings that may come from flags; flags win over the environment. */
export interface ConfigOverrides {
  deployment?: string;
  convexUrl?: string;
  timeoutMs?: string;
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

function parseTimeout(raw: string | undefined, problems: ConfigProblem[]): number {
  if (raw === undefined) return DEFAULT_TIMEOUT_MS;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < MIN_TIMEOUT_MS || value > MAX_TIMEOUT_MS) {
    problems.push({
      variable: "CONNVO_TIMEOUT_MS",
      message: `CONNVO_TIMEOUT_MS must be a whole number of milliseconds between ${MIN_TIMEOUT_MS} and ${MAX_TIMEOUT_MS} (default ${DEFAULT_TIMEOUT_MS}).`,
    });
    return DEFAULT_TIMEOUT_MS;
  }
  return value;
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
  if (!token) {
    problems.push({
      variable: "CONNVO_TOKEN",
      message:
        "CONNVO_TOKEN is not set. Set it to your Connvo access token (the WorkOS-issued JWT you are signed in with) in the MCP server's env, then restart the server. To try the server without an account, start it with --demo.",
    });
  }
  const timeoutMs = parseTimeout(nonEmpty(overrides.timeoutMs) ?? nonEmpty(env.CONNVO_TIMEOUT_MS), problems);
  return { target, token, timeoutMs, problems };
}
