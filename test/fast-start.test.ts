/**
 * The fast start (scripts/build.mjs, "Fast start"): dist/connvo-mcp, the package's bin, starts the
 * server from a V8 startup snapshot that this exact node binary built from this build, and from
 * the plain bundle otherwise, building the snapshot in the background for the next start. Checked
 * on the built dist/ (`npm test` builds first) with a cache directory of the test's own. No
 * timings here: the speed is measured by `npm run bench`.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ROOT } from "./helpers/paths.js";

// Spawned servers and a snapshot build on a shared 2-core machine: generous bounds, no timings.
vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

const LAUNCHER = join(ROOT, "dist", "connvo-mcp");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
let cache: string;

const env = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH ?? "",
  HOME: process.env.HOME ?? tmpdir(),
  CONNVO_MCP_CACHE_DIR: cache,
  ...extra,
});

/** How the launcher started node: the `exec` line of `sh -x`. */
function launch(args: string[], extra: Record<string, string> = {}) {
  const run = spawnSync("sh", ["-x", LAUNCHER, ...args], { env: env(extra), encoding: "utf8" });
  const exec = run.stderr.split("\n").find((line) => /^\+ exec /.test(line)) ?? "";
  return { stdout: run.stdout.trim(), status: run.status, exec, snapshot: exec.includes("--snapshot-blob") };
}

const snapshotDirs = () => readdirSync(cache).filter((name) => name.startsWith("snapshot-"));

async function waitForSnapshot(): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const [dir] = snapshotDirs();
    if (dir && existsSync(join(cache, dir, "node")) && !readdirSync(cache).some((n) => n.endsWith(".lock")))
      return join(cache, dir);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no snapshot was built in ${cache}: ${readdirSync(cache).join(", ")}`);
}

/** A stdio session through the launcher: initialize, tools/list, one call; stdin then closed. */
async function session(args: string[], extra: Record<string, string>, call?: Record<string, unknown>) {
  const child = spawn(LAUNCHER, args, { env: env(extra), stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const lines = [
    {
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "fast-start-test", version: "0" },
      },
    },
    { method: "notifications/initialized" },
    { id: 2, method: "tools/list" },
    ...(call ? [{ id: 3, method: "tools/call", params: call }] : []),
  ];
  child.stdin.end(lines.map((line) => `${JSON.stringify({ jsonrpc: "2.0", ...line })}\n`).join(""));
  const code = await new Promise((resolve) => child.on("exit", resolve));
  const answers = new Map(
    stdout
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { id: number; result?: Record<string, unknown> })
      .map((message) => [message.id, message.result]),
  );
  return { code, stderr, answers };
}

beforeAll(() => {
  cache = mkdtempSync(join(tmpdir(), "connvo-fast-start-"));
});

afterAll(() => {
  rmSync(cache, { recursive: true, force: true });
});

describe("dist/connvo-mcp", () => {
  it("starts the plain bundle while there is no snapshot, and builds one in the background", async () => {
    const first = launch(["--version"]);
    expect(first).toMatchObject({ stdout: VERSION, status: 0, snapshot: false });
    const dir = await waitForSnapshot();
    expect(readdirSync(dir).sort()).toEqual(["node", "snapshot.blob"]);
    const second = launch(["--version"]);
    expect(second).toMatchObject({ stdout: VERSION, status: 0, snapshot: true });
  });

  it("serves from the snapshot: a whole session with a backend call", async () => {
    await waitForSnapshot();
    const { code, answers, stderr } = await session(["--demo"], {}, { name: "get_active_sessions", arguments: {} });
    expect(code).toBe(0);
    const tools = (answers.get(2)?.tools ?? []) as Array<{ name: string }>;
    expect(tools.map((t) => t.name)).toContain("get_active_sessions");
    expect(answers.get(3)?.isError).toBe(true); // no meetingId: refused before any request, as it should be
    expect(stderr).toContain("demo deployment listening");
  });

  it("reads settings read at import time again when the snapshot starts (CONNVO_LOG_LEVEL)", async () => {
    await waitForSnapshot();
    expect(launch(["--version"], { CONNVO_LOG_LEVEL: "warn" }).snapshot).toBe(true);
    const quiet = await session(["--demo"], { CONNVO_LOG_LEVEL: "warn" });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).not.toContain("demo deployment listening");
  });

  it("falls back to the plain bundle under NODE_OPTIONS, with CONNVO_MCP_SNAPSHOT=0, and for another node binary", async () => {
    const dir = await waitForSnapshot();
    expect(launch(["--version"], { NODE_OPTIONS: "--no-warnings" })).toMatchObject({
      stdout: VERSION,
      snapshot: false,
    });
    expect(launch(["--version"], { CONNVO_MCP_SNAPSHOT: "0" })).toMatchObject({ stdout: VERSION, snapshot: false });
    // The recorded binary is not the one on PATH (as after a node upgrade): not used.
    writeFileSync(join(dir, "node"), "/bin/sh\n");
    expect(launch(["--version"])).toMatchObject({ stdout: VERSION, status: 0, snapshot: false });
  });
});
