/**
 * Who is measured and how each is started. Every spawned subject (connvo-mcp, the peer, the
 * floors, bare node) gets the same environment, `subjectEnv()`: PATH and HOME and nothing else
 * from this shell, plus its own settings. An inherited variable such as NODE_EXTRA_CA_CERTS (set
 * on this machine) adds 50-80 ms to every Node start and would hide start-up differences.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { DemoDeployment } from "../../src/demo/deployment.js";
import { StdioRpc } from "./stdio.js";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const PEER_PACKAGE = "@ivotoby/openapi-mcp-server";
export const PEER_BIN = path.join(ROOT, "node_modules", "@ivotoby", "openapi-mcp-server", "bin", "mcp-server.js");
export const PEER_VERSION = (
  JSON.parse(
    readFileSync(path.join(ROOT, "node_modules", "@ivotoby", "openapi-mcp-server", "package.json"), "utf8"),
  ) as { version: string }
).version;
export const SPEC = path.join(ROOT, "openapi", "connvo-convex-openapi.yaml");
export const FUNCTION_PATH = "meetings/webrtc/index:getActiveSessions";
export const PEER_TOOL_ID = "POST::api__run__meetings__webrtc__index__getActiveSessions";
export const OUR_TOOL = "get_active_sessions";

/** The variables every spawned subject gets from this shell; nothing else is inherited. */
export const INHERITED = ["PATH", "HOME"] as const;

export function subjectEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

/** How a server is started: a command line (a node script, or an executable such as the bin). */
export interface Launch {
  id: string;
  command: string;
  args: string[];
  /** The figure text for it. */
  label: string;
}

export const nodeLaunch = (id: string, label: string, args: string[]): Launch => ({
  id,
  command: process.execPath,
  args,
  label,
});

/**
 * connvo-mcp as users launch it: the package's bin (dist/connvo-mcp, what npx and the generated
 * client entries run), which starts the startup snapshot when one was built for this node.
 * `cli` (an A/B build's dist/cli.js) is started through its own launcher when it has one.
 */
export function oursAsLaunched(cli: string): Launch {
  const launcher = path.join(path.dirname(cli), "connvo-mcp");
  try {
    readFileSync(launcher);
    return { id: "ours", command: launcher, args: [], label: `${path.relative(ROOT, launcher)} (the bin)` };
  } catch {
    return nodeLaunch("ours", `node ${path.relative(ROOT, cli)}`, [cli]);
  }
}

/** connvo-mcp started the plain way: `node dist/cli.js` (no snapshot, node's default heap). */
export const oursPlain = (cli: string): Launch =>
  nodeLaunch("ours, node dist/cli.js", `node ${path.relative(ROOT, cli)}`, [cli]);

export function spawnStdio(launch: Launch, env: Record<string, string>, extraArgs: string[] = []): StdioRpc {
  return new StdioRpc(launch.command, [...launch.args, ...extraArgs], env, ROOT);
}

/** The peer's command line: the same operation (allow-listed alone), deployment and token as ours. */
export function peerArgs(demo: DemoDeployment, extra: string[] = []): string[] {
  return [
    PEER_BIN,
    "--api-base-url",
    demo.url,
    "--openapi-spec",
    SPEC,
    "--headers",
    `Authorization:Bearer ${demo.token}`,
    "--tools",
    "explicit",
    "--tool",
    PEER_TOOL_ID,
    ...extra,
  ];
}

/** What a connvo-mcp server needs from the environment to reach the demo deployment. */
export const oursEnv = (demo: DemoDeployment) => subjectEnv({ CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN: demo.token });

/** Reads the peer's tools/list: its tool name and whether arguments go under `args`. */
export async function discoverPeerTool(
  demo: DemoDeployment,
): Promise<{ name: string; wrapsArgs: boolean; listText: string }> {
  const server = new StdioRpc(process.execPath, peerArgs(demo), subjectEnv(), ROOT);
  try {
    const list = await server.handshake();
    const tools = (list.result?.tools ?? []) as Array<{
      name: string;
      inputSchema?: { properties?: Record<string, unknown> };
    }>;
    if (tools.length !== 1) throw new Error(`expected the peer to list exactly 1 tool, got ${tools.length}`);
    const tool = tools[0] as (typeof tools)[number];
    return {
      name: tool.name,
      wrapsArgs: Boolean(tool.inputSchema?.properties?.args),
      listText: JSON.stringify(list.result),
    };
  } finally {
    await server.close();
  }
}
