/**
 * `npm run bench`: connvo-mcp against a real peer (@ivotoby/openapi-mcp-server) and against the
 * floor (bare node, a direct ConvexHttpClient call), on the same demo deployment, in one run.
 *
 *   npm run bench                 full run: prints the table, writes bench/results/latest.json and
 *                                 BENCHMARKS.md, prints PASS/MISS per target (exit 0 either way)
 *   npm run bench -- --strict     the same, but exit 1 when a target is missed
 *   npm run bench -- --smoke      tiny counts, no targets, writes only bench/results/smoke.json.tmp
 *                                 (CI runs this: it proves the benchmark still works, not speed)
 *
 * The package script builds first (`npm run build && tsx bench/run.ts`). Every server runs as a
 * child process on this machine; the demo deployment runs inside this process on 127.0.0.1.
 * Timing is never asserted in tests; only this script judges targets.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ConvexHttpClient } from "convex/browser";
import { type DemoDeployment, startDemoDeployment } from "../src/demo/deployment.js";
import { DEMO_MEETINGS } from "../src/demo/seed.js";
import { type AttentionCheck, checkAttention, peopleNeedingAttention } from "./lib/attention.js";
import { McpHttpClient } from "./lib/http.js";
import { loadAverage, type MachineInfo, machineInfo } from "./lib/machine.js";
import { type Row, renderMarkdown, renderTable, type Target } from "./lib/report.js";
import { median, nowMs, percentile, type Summary, summarize } from "./lib/stats.js";
import { StdioRpc, textOf } from "./lib/stdio.js";
import { countTokens, TOKENIZER, utf8Bytes } from "./lib/tokens.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PEER_BIN = path.join(ROOT, "node_modules", "@ivotoby", "openapi-mcp-server", "bin", "mcp-server.js");
const PEER_VERSION = (
  JSON.parse(
    readFileSync(path.join(ROOT, "node_modules", "@ivotoby", "openapi-mcp-server", "package.json"), "utf8"),
  ) as {
    version: string;
  }
).version;
const SPEC = path.join(ROOT, "openapi", "connvo-convex-openapi.yaml");
const FUNCTION_PATH = "meetings/webrtc/index:getActiveSessions";
const PEER_TOOL_ID = "POST::api__run__meetings__webrtc__index__getActiveSessions";
const OUR_TOOL = "get_active_sessions";

const { values: flags } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    strict: { type: "boolean", default: false },
    // For A/B runs of a candidate build: `tsx bench/run.ts --cli /tmp/other/dist/cli.js`. Results
    // then go to bench/results/cli-<hash>.json.tmp and BENCHMARKS.md is left alone.
    cli: { type: "string" },
  },
});
const SMOKE = flags.smoke === true;
const CLI = flags.cli ? path.resolve(flags.cli) : path.join(ROOT, "dist", "cli.js");

const COUNTS = SMOKE
  ? {
      coldRuns: 2,
      callWarmup: 10,
      callRounds: 2,
      callsPerRound: 10,
      memoryCheckpoints: [20, 50, 100],
      sharedCalls: 10,
      httpWarmup: 5,
      httpCalls: { 1: 10, 16: 32, 64: 64 } as Record<number, number>,
    }
  : {
      coldRuns: 20,
      callWarmup: 1000,
      callRounds: 8,
      callsPerRound: 250,
      memoryCheckpoints: [1000, 5000, 10000],
      sharedCalls: 100,
      httpWarmup: 300,
      httpCalls: { 1: 2000, 16: 4000, 64: 6400 } as Record<number, number>,
    };
const HTTP_CONCURRENCY = [1, 16, 64];
const SHARED_LATENCY_MS = 200;

const progress = (text: string) => process.stderr.write(`[bench] ${text}\n`);
const round = (v: number, digits = 3) => (Number.isFinite(v) ? Math.round(v * 10 ** digits) / 10 ** digits : v);

// ---------------------------------------------------------------------------------------------
// Subjects
// ---------------------------------------------------------------------------------------------

interface StdioSubject {
  id: string;
  spawn(): StdioRpc;
  tool: string;
  args: (meetingId: string) => Record<string, unknown>;
}

function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "" };
  if (process.env.HOME) env.HOME = process.env.HOME;
  return env;
}

/** The peer's command line: the same operation (allow-listed alone), deployment and token as ours. */
function peerCommand(demo: DemoDeployment, extra: string[] = []): string[] {
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

function makeSubjects(demo: DemoDeployment) {
  const oursEnv = { ...baseEnv(), CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN: demo.token };
  const peerArgs = (extra: string[] = []) => peerCommand(demo, extra);
  const ours: StdioSubject = {
    id: "ours",
    spawn: () => new StdioRpc(process.execPath, [CLI], oursEnv, ROOT),
    tool: OUR_TOOL,
    args: (meetingId) => ({ meetingId }),
  };
  // The peer as its README configures it (stdio, default logging to stderr).
  const peer: StdioSubject = {
    id: "peer",
    spawn: () => new StdioRpc(process.execPath, peerArgs(), baseEnv(), ROOT),
    tool: "(discovered)",
    args: (meetingId) => ({ args: { meetingId } }),
  };
  const peerQuiet: StdioSubject = {
    ...peer,
    id: "peer --verbose false",
    spawn: () => new StdioRpc(process.execPath, peerArgs(["--verbose", "false"]), baseEnv(), ROOT),
  };
  const floor = (id: string, file: string): StdioSubject => ({
    id,
    spawn: () => new StdioRpc(process.execPath, [path.join(ROOT, "bench", "floor", file)], oursEnv, ROOT),
    tool: id === "stdio echo" ? "echo" : "proxy",
    args: (meetingId) => ({ meetingId }),
  });
  return {
    ours,
    peer,
    peerQuiet,
    echo: floor("stdio echo", "stdio-echo.mjs"),
    proxy: floor("stdio proxy", "stdio-proxy.mjs"),
    sdkProxy: floor("SDK proxy", "sdk-proxy.mjs"),
  };
}

/**
 * The MCP SDK floor for cold start: bench/floor/sdk-proxy.mjs bundled with the same esbuild options
 * as dist/cli.js (scripts/build.mjs), so the difference to connvo-mcp is our own code.
 */
async function bundleSdkFloor(dir: string, env: Record<string, string>): Promise<StdioSubject> {
  const buildScript = path.join(ROOT, "scripts", "build.mjs");
  const { bundleOptions } = (await import(buildScript)) as { bundleOptions: Record<string, unknown> };
  const { build } = await import("esbuild");
  const outfile = path.join(dir, "sdk-floor.mjs");
  await build({ ...bundleOptions, entryPoints: [path.join(ROOT, "bench", "floor", "sdk-proxy.mjs")], outfile });
  return {
    id: "SDK floor (bundled)",
    spawn: () => new StdioRpc(process.execPath, [outfile], env, ROOT),
    tool: "proxy",
    args: (meetingId) => ({ meetingId }),
  };
}

/** Reads the peer's tools/list: its tool name and whether arguments go under `args`. */
async function discoverPeerTool(
  subject: StdioSubject,
): Promise<{ name: string; wrapsArgs: boolean; listBytes: number; listTokens: number }> {
  const server = subject.spawn();
  try {
    const list = await server.handshake();
    const tools = (list.result?.tools ?? []) as Array<{
      name: string;
      inputSchema?: { properties?: Record<string, unknown> };
    }>;
    if (tools.length !== 1) throw new Error(`expected the peer to list exactly 1 tool, got ${tools.length}`);
    const tool = tools[0] as (typeof tools)[number];
    const text = JSON.stringify(list.result);
    return {
      name: tool.name,
      wrapsArgs: Boolean(tool.inputSchema?.properties?.args),
      listBytes: utf8Bytes(text),
      listTokens: countTokens(text),
    };
  } finally {
    await server.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 1. Cold start
// ---------------------------------------------------------------------------------------------

function spawnBare(): Promise<number> {
  const started = nowMs();
  const child = spawn(process.execPath, ["-e", ""], { stdio: ["pipe", "pipe", "pipe"], env: baseEnv() });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", () => resolve(nowMs() - started));
  });
}

async function coldStart(subjects: StdioSubject[]) {
  const wall: Record<string, number[]> = { "bare node": [] };
  const cpu: Record<string, number[]> = {};
  const order = ["bare node", ...subjects.map((s) => s.id)];
  // One discarded round so the page cache holds every file.
  await spawnBare();
  for (const subject of subjects) {
    const server = subject.spawn();
    await server.handshake();
    await server.close();
  }
  for (let run = 0; run < COUNTS.coldRuns; run++) {
    // Rotate the order each run so no one always goes first (or right after a heavy start).
    const rotated = order.map((_, i) => order[(i + run) % order.length] as string);
    for (const id of rotated) {
      if (id === "bare node") {
        (wall[id] as number[]).push(await spawnBare());
        continue;
      }
      const subject = subjects.find((s) => s.id === id) as StdioSubject;
      const server = subject.spawn();
      await server.handshake();
      const elapsed = nowMs() - server.spawnedAt;
      wall[id] = [...(wall[id] ?? []), elapsed];
      cpu[id] = [...(cpu[id] ?? []), server.cpuMs()];
      await server.close();
    }
  }
  return Object.fromEntries(
    Object.entries(wall).map(([id, samples]) => [
      id,
      { ...summarize(samples), cpuMedian: cpu[id] ? median(cpu[id]) : undefined },
    ]),
  );
}

// ---------------------------------------------------------------------------------------------
// 2. Per-call latency over stdio
// ---------------------------------------------------------------------------------------------

interface CallTarget {
  id: string;
  call(): Promise<unknown>;
  cpuMs?(): number;
}

async function perCall(targets: CallTarget[]) {
  for (const target of targets) for (let i = 0; i < COUNTS.callWarmup; i++) await target.call();
  const samples: Record<string, number[]> = {};
  const cpu: Record<string, number> = {};
  for (let r = 0; r < COUNTS.callRounds; r++) {
    const rotated = targets.map((_, i) => targets[(i + r) % targets.length] as CallTarget);
    for (const target of rotated) {
      const list = samples[target.id] ?? [];
      samples[target.id] = list;
      const cpuBefore = target.cpuMs?.() ?? Number.NaN;
      for (let i = 0; i < COUNTS.callsPerRound; i++) {
        const started = nowMs();
        await target.call();
        list.push(nowMs() - started);
      }
      cpu[target.id] = (cpu[target.id] ?? 0) + ((target.cpuMs?.() ?? Number.NaN) - cpuBefore);
    }
  }
  return Object.fromEntries(
    targets.map((t) => {
      const list = samples[t.id] as number[];
      const cpuPerCall = (cpu[t.id] ?? Number.NaN) / list.length;
      return [t.id, { ...summarize(list), serverCpuMsPerCall: Number.isFinite(cpuPerCall) ? cpuPerCall : undefined }];
    }),
  ) as Record<string, Summary & { serverCpuMsPerCall?: number }>;
}

// ---------------------------------------------------------------------------------------------
// 3. HTTP
// ---------------------------------------------------------------------------------------------

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface HttpServer {
  url: URL;
  stop(): Promise<void>;
  pid: number;
}

async function startHttpServer(
  command: string[],
  env: Record<string, string>,
  readyUrl: (stderr: string) => URL | undefined,
) {
  const child = spawn(process.execPath, command, { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`HTTP server did not start in 15 s: ${stderr.slice(-500)}`)),
      15_000,
    );
    child.stderr.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-8192);
      const found = readyUrl(stderr);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`HTTP server exited (${code}): ${stderr.slice(-500)}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    url,
    pid: child.pid ?? -1,
    async stop() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  } satisfies HttpServer;
}

async function httpLoad(server: HttpServer, tool: string, args: Record<string, unknown>, stream = false) {
  const results: Record<
    number,
    { calls: number; callsPerSec: number; p50: number; p99: number; loadGenCpuPct: number }
  > = {};
  {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const client = new McpHttpClient(server.url, agent);
    await client.initialize();
    if (stream) await client.openStreamAndWait();
    for (let i = 0; i < COUNTS.httpWarmup; i++) await client.callTool(tool, args);
    client.close();
    agent.destroy();
  }
  for (const concurrency of HTTP_CONCURRENCY) {
    const total = COUNTS.httpCalls[concurrency] as number;
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const clients = await Promise.all(
      Array.from({ length: concurrency }, async () => {
        const client = new McpHttpClient(server.url, agent);
        await client.initialize();
        if (stream) await client.openStreamAndWait();
        return client;
      }),
    );
    const latencies: number[] = [];
    let issued = 0;
    const cpuBefore = process.cpuUsage();
    const started = nowMs();
    await Promise.all(
      clients.map(async (client) => {
        while (issued < total) {
          issued++;
          const t = nowMs();
          await client.callTool(tool, args);
          latencies.push(nowMs() - t);
        }
      }),
    );
    const wallMs = nowMs() - started;
    const used = process.cpuUsage(cpuBefore);
    for (const client of clients) client.close();
    agent.destroy();
    results[concurrency] = {
      calls: latencies.length,
      callsPerSec: (latencies.length / wallMs) * 1000,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      // How busy this process (load generator + demo deployment) was: near 100% means the
      // figure is bounded by the load generator, not by the server.
      loadGenCpuPct: ((used.user + used.system) / 1000 / wallMs) * 100,
    };
  }
  return results;
}

async function httpFigures(demo: DemoDeployment, peerTool: string, meetingId: string) {
  const help = await new Promise<string>((resolve) => {
    const child = spawn(process.execPath, [CLI, "--help"], { cwd: ROOT, env: baseEnv() });
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (c: string) => {
      out += c;
    });
    child.once("exit", () => resolve(out));
  });
  const out: {
    client: string;
    ours: Awaited<ReturnType<typeof httpLoad>> | { skipped: string };
    peer: Awaited<ReturnType<typeof httpLoad>> | { skipped: string };
  } = {
    client: "raw JSON-RPC POSTs over node:http (keep-alive agent), JSON or SSE answers; no SDK client",
    ours: { skipped: "not available" },
    peer: { skipped: "not run" },
  };
  if (!/--http\b/.test(help)) return out;

  const ours = await startHttpServer(
    [CLI, "--http", "--port", "0"],
    { ...baseEnv(), CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN: demo.token },
    (stderr) => {
      const match = /listening on (http:\/\/\S+\/mcp)/.exec(stderr);
      return match ? new URL(match[1] as string) : undefined;
    },
  );
  try {
    out.ours = await httpLoad(ours, OUR_TOOL, { meetingId });
  } catch (error) {
    out.ours = { skipped: `failed: ${(error as Error).message.slice(0, 200)}` };
  } finally {
    await ours.stop();
  }

  try {
    const port = await freePort();
    const peer = await startHttpServer(
      peerCommand(demo, ["--transport", "http", "--host", "127.0.0.1", "--port", String(port)]),
      baseEnv(),
      (stderr) => (/listening|running/i.test(stderr) ? new URL(`http://127.0.0.1:${port}/mcp`) : undefined),
    );
    try {
      // The peer accepts each POST with 202 and answers on the session's GET event stream.
      out.peer = await httpLoad(peer, peerTool, { args: { meetingId } }, true);
    } finally {
      await peer.stop();
    }
  } catch (error) {
    out.peer = { skipped: `failed: ${(error as Error).message.slice(0, 200)}` };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 4. Answer size
// ---------------------------------------------------------------------------------------------

const SIZES = [
  ["size1", 1],
  ["size10", 10],
  ["size100", 100],
  ["size1000", 1000],
] as const;

interface SizeFigure {
  participants: number;
  ours: { bytes: number; tokens: number; structuredBytes: number };
  peer: { bytes: number; tokens: number };
  compactJson: { bytes: number; tokens: number };
  oursVsPeer: number;
  oursVsCompact: number;
  attention: AttentionCheck;
}

async function answerSizes(ours: StdioRpc, peer: StdioRpc, peerTool: string, direct: ConvexHttpClient, limit: number) {
  const out: Record<string, SizeFigure> = {};
  for (const [name, participants] of SIZES) {
    const meetingId = DEMO_MEETINGS[name].id;
    const now = Date.now();
    const rows = (await direct.query(FUNCTION_PATH as never, { meetingId } as never)) as unknown[];
    const oursResult = await ours.callTool(OUR_TOOL, { meetingId });
    const peerResult = await peer.callTool(peerTool, { args: { meetingId } });
    const oursText = textOf(oursResult);
    const peerText = textOf(peerResult);
    let compact: string;
    try {
      compact = JSON.stringify(JSON.parse(peerText));
    } catch {
      compact = JSON.stringify({ status: "success", value: rows });
    }
    const structured = oursResult.structuredContent as Record<string, unknown> | undefined;
    out[name] = {
      participants,
      ours: {
        bytes: utf8Bytes(oursText),
        tokens: countTokens(oursText),
        structuredBytes: structured ? utf8Bytes(JSON.stringify(structured)) : 0,
      },
      peer: { bytes: utf8Bytes(peerText), tokens: countTokens(peerText) },
      compactJson: { bytes: utf8Bytes(compact), tokens: countTokens(compact) },
      oursVsPeer: utf8Bytes(oursText) / utf8Bytes(peerText),
      oursVsCompact: utf8Bytes(oursText) / utf8Bytes(compact),
      attention: checkAttention(oursText, structured, peopleNeedingAttention(rows as never[], now), limit),
    };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 5. Memory
// ---------------------------------------------------------------------------------------------

async function memory(subject: StdioSubject, tool: string, meetingId: string) {
  const server = subject.spawn();
  try {
    await server.handshake();
    const rss: Record<string, number> = { "0": server.rssBytes() };
    const args = subject.args(meetingId);
    const last = COUNTS.memoryCheckpoints[COUNTS.memoryCheckpoints.length - 1] as number;
    for (let i = 1; i <= last; i++) {
      await server.callTool(tool, args);
      if (COUNTS.memoryCheckpoints.includes(i)) rss[String(i)] = server.rssBytes();
    }
    return rss;
  } finally {
    await server.close();
  }
}

// ---------------------------------------------------------------------------------------------
// 6. Shared calls
// ---------------------------------------------------------------------------------------------

async function sharedCalls(demo: DemoDeployment, subject: StdioSubject, tool: string, meetingId: string) {
  const server = subject.spawn();
  try {
    await server.handshake();
    const args = subject.args(meetingId);
    await server.callTool(tool, args);
    demo.injectFault({ kind: "latency", ms: SHARED_LATENCY_MS, meetingId });
    demo.resetStats();
    const started = nowMs();
    const results = await Promise.allSettled(
      Array.from({ length: COUNTS.sharedCalls }, () => server.callTool(tool, args)),
    );
    const wallMs = nowMs() - started;
    const stats = demo.stats;
    demo.clearFaults();
    return {
      calls: COUNTS.sharedCalls,
      succeeded: results.filter((r) => r.status === "fulfilled").length,
      backendRequests: stats.queryRequests,
      maxConcurrentAtBackend: stats.maxConcurrent,
      wallMs,
    };
  } finally {
    demo.clearFaults();
    await server.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

async function collect(demo: DemoDeployment) {
  const machine: MachineInfo = machineInfo();
  const startedAt = new Date();
  const load: Record<string, number> = { start: loadAverage() };
  progress(
    `${SMOKE ? "smoke" : "full"} run on ${machine.cpu} (${machine.cores} cores), node ${machine.node}, load ${load.start}`,
  );

  const subjects = makeSubjects(demo);
  const meeting10 = DEMO_MEETINGS.size10.id;
  const direct = new ConvexHttpClient(demo.url, { logger: false, skipConvexDeploymentUrlCheck: true });
  direct.setAuth(demo.token);

  const peerTool = await discoverPeerTool(subjects.peer);
  if (!peerTool.wrapsArgs) throw new Error("the peer's tool no longer takes {args: {...}}; update bench/run.ts");
  for (const s of [subjects.peer, subjects.peerQuiet]) s.tool = peerTool.name;
  progress(`peer tool: ${peerTool.name} with arguments {args: {meetingId}}`);

  // Our tools/list: the limit default, and what the tool definitions cost in context.
  const probe = subjects.ours.spawn();
  const ourList = await probe.handshake();
  await probe.close();
  const ourTools = (ourList.result?.tools ?? []) as Array<{
    name: string;
    inputSchema?: { properties?: { limit?: { default?: number } } };
  }>;
  const limit = ourTools.find((t) => t.name === OUR_TOOL)?.inputSchema?.properties?.limit?.default ?? 25;
  const ourListText = JSON.stringify(ourList.result);
  const listSizes = {
    ours: { bytes: utf8Bytes(ourListText), tokens: countTokens(ourListText) },
    peer: { bytes: peerTool.listBytes, tokens: peerTool.listTokens },
  };

  progress("1/6 cold start");
  const floorDir = mkdtempSync(path.join(os.tmpdir(), "connvo-mcp-bench-"));
  let cold: Awaited<ReturnType<typeof coldStart>>;
  try {
    const sdkFloor = await bundleSdkFloor(floorDir, {
      ...baseEnv(),
      CONNVO_CONVEX_URL: demo.url,
      CONNVO_TOKEN: demo.token,
    });
    cold = await coldStart([subjects.ours, subjects.peer, sdkFloor]);
  } finally {
    rmSync(floorDir, { recursive: true, force: true });
  }
  load.afterCold = loadAverage();

  progress("2/6 per-call latency over stdio");
  const servers = {
    ours: subjects.ours.spawn(),
    peer: subjects.peer.spawn(),
    peerQuiet: subjects.peerQuiet.spawn(),
    echo: subjects.echo.spawn(),
    proxy: subjects.proxy.spawn(),
    sdkProxy: subjects.sdkProxy.spawn(),
  };
  for (const server of Object.values(servers)) await server.handshake();
  const stdioTarget = (subject: StdioSubject, server: StdioRpc): CallTarget => {
    const args = subject.args(meeting10);
    return { id: subject.id, call: () => server.callTool(subject.tool, args), cpuMs: () => server.cpuMs() };
  };
  const calls = await perCall([
    stdioTarget(subjects.ours, servers.ours),
    stdioTarget(subjects.peer, servers.peer),
    { id: "direct client", call: () => direct.query(FUNCTION_PATH as never, { meetingId: meeting10 } as never) },
    stdioTarget(subjects.peerQuiet, servers.peerQuiet),
    stdioTarget(subjects.echo, servers.echo),
    stdioTarget(subjects.proxy, servers.proxy),
    stdioTarget(subjects.sdkProxy, servers.sdkProxy),
  ]);
  load.afterCalls = loadAverage();

  progress("4/6 answer size");
  const sizes = await answerSizes(servers.ours, servers.peer, peerTool.name, direct, limit);
  const stray = { ours: servers.ours.strayLines.length, peer: servers.peer.strayLines.length };
  for (const server of Object.values(servers)) await server.close();

  progress("5/6 memory");
  const rss = {
    ours: await memory(subjects.ours, OUR_TOOL, meeting10),
    peer: await memory(subjects.peer, peerTool.name, meeting10),
  };
  load.afterMemory = loadAverage();

  progress("6/6 shared calls");
  const shared = {
    ours: await sharedCalls(demo, subjects.ours, OUR_TOOL, meeting10),
    peer: await sharedCalls(demo, subjects.peer, peerTool.name, meeting10),
  };

  progress("3/6 HTTP");
  const httpResults = await httpFigures(demo, peerTool.name, meeting10);
  load.end = loadAverage();

  return {
    mode: SMOKE ? "smoke" : "full",
    date: startedAt.toISOString(),
    durationSec: round((Date.now() - startedAt.getTime()) / 1000, 1),
    machine,
    loadAverage1m: load,
    counts: COUNTS,
    peer: { package: "@ivotoby/openapi-mcp-server", version: PEER_VERSION, tool: peerTool.name },
    tokenizer: TOKENIZER,
    cli: path.relative(ROOT, CLI),
    coldStartMs: cold,
    stdioCallMs: calls,
    http: httpResults,
    answerSize: sizes,
    toolsList: listSizes,
    rssBytes: rss,
    sharedCalls: { latencyFaultMs: SHARED_LATENCY_MS, ...shared },
    strayStdoutLines: stray,
  };
}

async function main(): Promise<number> {
  const demo = await startDemoDeployment();
  try {
    const results = await collect(demo);
    const { rows, targets } = evaluate(results);
    process.stdout.write(`${renderTable(rows, targets, SMOKE)}\n`);

    const resultsDir = path.join(ROOT, "bench", "results");
    mkdirSync(resultsDir, { recursive: true });
    const json = `${JSON.stringify({ ...results, targets }, null, 2)}\n`;
    if (flags.cli) {
      const file = `cli-${SMOKE ? "smoke-" : ""}${Date.now()}.json.tmp`;
      writeFileSync(path.join(resultsDir, file), json);
      progress(`wrote bench/results/${file} (--cli runs leave latest.json and BENCHMARKS.md alone)`);
    } else if (SMOKE) {
      writeFileSync(path.join(resultsDir, "smoke.json.tmp"), json);
      progress("wrote bench/results/smoke.json.tmp (smoke runs leave BENCHMARKS.md alone)");
    } else {
      writeFileSync(path.join(resultsDir, "latest.json"), json);
      writeFileSync(path.join(ROOT, "BENCHMARKS.md"), renderMarkdown(results, rows, targets, readNotes()));
      progress("wrote bench/results/latest.json and BENCHMARKS.md");
    }
    if (results.strayStdoutLines.ours > 0) {
      progress(`BROKEN: connvo-mcp printed ${results.strayStdoutLines.ours} non-JSON line(s) on stdout`);
      return 1;
    }
    const missed = targets.filter((t) => !t.pass);
    if (!SMOKE && flags.strict && missed.length > 0) return 1;
    return 0;
  } finally {
    await demo.close();
  }
}

function readNotes(): string {
  try {
    return readFileSync(path.join(ROOT, "bench", "NOTES.md"), "utf8");
  } catch {
    return "";
  }
}

// ---------------------------------------------------------------------------------------------
// Table and targets
// ---------------------------------------------------------------------------------------------

type Results = Awaited<ReturnType<typeof collect>>;

/** rec[key], or a clear error: every figure the table reads must have been measured. */
function pick<T>(rec: Record<string, T>, key: string | number): T {
  const value = rec[key];
  if (value === undefined) throw new Error(`missing figure: ${key}`);
  return value;
}

const ms = (v: number | undefined, digits = 3) =>
  v === undefined || !Number.isFinite(v) ? "—" : `${v.toFixed(digits)} ms`;
const x = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}x` : "—");
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const mib = (bytes: number) => (Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : "—");
const MiB = 2 ** 20;

function evaluate(r: Results): { rows: Row[]; targets: Target[] } {
  const rows: Row[] = [];
  const targets: Target[] = [];
  const target = (id: string, text: string, value: string, pass: boolean) => targets.push({ id, text, value, pass });

  // 1. Cold start
  const coldO = pick(r.coldStartMs, "ours");
  const coldP = pick(r.coldStartMs, "peer");
  const coldB = pick(r.coldStartMs, "bare node");
  const coldOurs = coldO.median;
  const coldPeer = coldP.median;
  const coldBare = coldB.median;
  rows.push({
    section: "1. Cold start over stdio (spawn → first tools/list answer), median",
    figure: `wall time (${coldO.n} runs each, interleaved)`,
    ours: ms(coldOurs, 1),
    peer: ms(coldPeer, 1),
    floor: `${ms(coldBare, 1)} (bare node -e '')`,
    ratio: `${x(coldOurs / coldPeer)} peer, ${x(coldOurs / coldBare)} bare`,
  });
  const coldSdk = pick(r.coldStartMs, "SDK floor (bundled)");
  rows.push({
    section: "",
    figure: "floor: MCP SDK server bundled like dist/cli.js",
    ours: "",
    peer: "",
    floor: `${ms(coldSdk.median, 1)} (${x(coldSdk.median / coldBare)} bare)`,
    ratio: `ours ${coldOurs - coldSdk.median >= 0 ? "+" : ""}${(coldOurs - coldSdk.median).toFixed(1)} ms`,
  });
  rows.push({
    section: "",
    figure: "server CPU until tools/list (user+sys)",
    ours: ms(coldO.cpuMedian, 0),
    peer: ms(coldP.cpuMedian, 0),
    floor: "",
    ratio: x((coldO.cpuMedian ?? Number.NaN) / (coldP.cpuMedian ?? Number.NaN)),
  });
  target("cold-vs-peer", "Cold start ≤ 0.6x the peer's", x(coldOurs / coldPeer), coldOurs / coldPeer <= 0.6);
  target("cold-vs-bare", "Cold start within 2.5x of bare node", x(coldOurs / coldBare), coldOurs / coldBare <= 2.5);

  // 2. Per-call latency
  const c = r.stdioCallMs;
  const ours = pick(c, "ours");
  const peer = pick(c, "peer");
  const direct = pick(c, "direct client");
  const overhead = ours.median - direct.median;
  rows.push({
    section: `2. Per-call latency over stdio, get_active_sessions on 10 participants (${ours.n} calls each after ${r.counts.callWarmup} warm-up, interleaved rounds)`,
    figure: "median",
    ours: ms(ours.median),
    peer: ms(peer.median),
    floor: `${ms(direct.median)} (direct ConvexHttpClient.query)`,
    ratio: `${x(ours.median / peer.median)} peer; +${overhead.toFixed(3)} ms over direct`,
  });
  rows.push({
    section: "",
    figure: "p99",
    ours: ms(ours.p99),
    peer: ms(peer.p99),
    floor: ms(direct.p99),
    ratio: x(ours.p99 / peer.p99),
  });
  rows.push({
    section: "",
    figure: "server CPU per call (user+sys)",
    ours: ms(ours.serverCpuMsPerCall),
    peer: ms(peer.serverCpuMsPerCall),
    floor: "",
    ratio: x((ours.serverCpuMsPerCall ?? Number.NaN) / (peer.serverCpuMsPerCall ?? Number.NaN)),
  });
  for (const [id, label] of [
    ["peer --verbose false", "peer with its logging off (median / p99 · CPU per call)"],
    ["stdio echo", "floor: bare-node stdio echo, no backend call"],
    ["stdio proxy", "floor: bare-node stdio + one ConvexHttpClient"],
    ["SDK proxy", "floor: MCP SDK server + one ConvexHttpClient"],
  ] as const) {
    const s = pick(c, id);
    rows.push({
      section: "",
      figure: label,
      ours: "",
      peer: id.startsWith("peer") ? `${ms(s.median)} / ${ms(s.p99)} · CPU ${ms(s.serverCpuMsPerCall)}` : "",
      floor: id.startsWith("peer") ? "" : `${ms(s.median)} / p99 ${ms(s.p99)} · CPU ${ms(s.serverCpuMsPerCall)}`,
      ratio: "",
    });
  }
  const hop = pick(c, "stdio proxy").median - direct.median;
  const sdk = pick(c, "SDK proxy").median - pick(c, "stdio proxy").median;
  const own = ours.median - pick(c, "SDK proxy").median;
  rows.push({
    section: "",
    figure: "our overhead above direct, split by the floors",
    ours: `+${overhead.toFixed(3)} ms`,
    peer: "",
    floor: `process hop ${hop.toFixed(3)} + SDK ${sdk.toFixed(3)} + ours ${own.toFixed(3)}`,
    ratio: "",
  });
  target(
    "call-vs-peer",
    "Median stdio call ≤ 0.5x the peer's",
    x(ours.median / peer.median),
    ours.median / peer.median <= 0.5,
  );
  target("overhead", "Our overhead above the direct client ≤ 0.3 ms", `${overhead.toFixed(3)} ms`, overhead <= 0.3);

  // 3. HTTP
  const h = r.http;
  const httpSection = `3. Streamable HTTP, get_active_sessions on 10 participants (${h.client})`;
  if ("skipped" in h.ours) {
    rows.push({
      section: httpSection,
      figure: "calls/s, p50, p99 at 1/16/64 clients",
      ours: `skipped: ${h.ours.skipped}`,
      peer: "",
      floor: "",
      ratio: "",
    });
  } else {
    let first = true;
    for (const conc of HTTP_CONCURRENCY) {
      const o = pick(h.ours, conc);
      const p = "skipped" in h.peer ? undefined : pick(h.peer, conc);
      rows.push({
        section: first ? httpSection : "",
        figure: `${conc} concurrent client${conc === 1 ? "" : "s"}: calls/s · p50 · p99`,
        ours: `${o.callsPerSec.toFixed(0)}/s · ${ms(o.p50, 2)} · ${ms(o.p99, 2)}`,
        peer: p
          ? `${p.callsPerSec.toFixed(0)}/s · ${ms(p.p50, 2)} · ${ms(p.p99, 2)}`
          : `skipped: ${"skipped" in h.peer ? h.peer.skipped : ""}`,
        floor: `load generator CPU ${o.loadGenCpuPct.toFixed(0)}%`,
        ratio: p ? `${x(o.callsPerSec / p.callsPerSec)} throughput` : "",
      });
      first = false;
    }
  }

  // 4. Answer size
  let first = true;
  for (const [name, s] of Object.entries(r.answerSize) as Array<[string, SizeFigure]>) {
    rows.push({
      section: first ? `4. Answer size: text content the model receives (tokens: ${r.tokenizer})` : "",
      figure: `${s.participants} participant${s.participants === 1 ? "" : "s"} (${name})`,
      ours: `${s.ours.bytes} B · ${s.ours.tokens} tok`,
      peer: `${s.peer.bytes} B · ${s.peer.tokens} tok`,
      floor: `compact JSON ${s.compactJson.bytes} B · ${s.compactJson.tokens} tok`,
      ratio: `${(s.oursVsPeer * 100).toFixed(1)}% of peer, ${(s.oursVsCompact * 100).toFixed(1)}% of compact`,
    });
    first = false;
  }
  for (const [name, s] of Object.entries(r.answerSize) as Array<[string, SizeFigure]>) {
    const a = s.attention;
    rows.push({
      section: "",
      figure: `attention check ${name}`,
      ours: `${a.named}/${a.mustName} named${a.saysOmitted !== undefined ? `, ${a.saysOmitted} counted as left out` : ""}`,
      peer: "",
      floor: `${a.needAttention} need attention (reference)`,
      ratio: a.ok ? "ok" : "MISSING",
    });
  }
  rows.push({
    section: "",
    figure: "tools/list answer (tool definitions in context)",
    ours: `${r.toolsList.ours.bytes} B · ${r.toolsList.ours.tokens} tok`,
    peer: `${r.toolsList.peer.bytes} B`,
    floor: "",
    ratio: x(r.toolsList.ours.bytes / r.toolsList.peer.bytes),
  });
  const s10 = pick(r.answerSize, "size10");
  const s1000 = pick(r.answerSize, "size1000");
  target(
    "answer-10",
    "Answer ≤ 30% of the peer's raw JSON at 10 participants",
    `${(s10.oursVsPeer * 100).toFixed(1)}% (${(s10.oursVsCompact * 100).toFixed(1)}% of compact JSON)`,
    s10.oursVsPeer <= 0.3,
  );
  target(
    "answer-1000",
    "Answer < 8 KiB at 1,000 participants",
    `${s1000.ours.bytes} B (${kib(s1000.ours.bytes)})`,
    s1000.ours.bytes < 8 * 1024,
  );
  const attentionOk = (Object.values(r.answerSize) as SizeFigure[]).every((s) => s.attention.ok);
  target(
    "attention",
    "Names everyone needing attention, up to the limit (1..1,000)",
    attentionOk ? "all sizes ok" : "missing names",
    attentionOk,
  );

  // 5. Memory
  const cps = r.counts.memoryCheckpoints as number[];
  const rssOurs = r.rssBytes.ours as Record<string, number>;
  const rssPeer = r.rssBytes.peer as Record<string, number>;
  first = true;
  for (const n of ["0", ...cps.map(String)]) {
    rows.push({
      section: first ? "5. Resident set (VmRSS) of the server process" : "",
      figure: n === "0" ? "after the handshake" : `after ${Number(n).toLocaleString("en-US")} calls`,
      ours: mib(rssOurs[n] as number),
      peer: mib(rssPeer[n] as number),
      floor: "",
      ratio: x((rssOurs[n] as number) / (rssPeer[n] as number)),
    });
    first = false;
  }
  const lastCp = String(cps[cps.length - 1]);
  const midCp = String(cps[cps.length - 2]);
  const growth = (rssOurs[lastCp] as number) - (rssOurs[midCp] as number);
  target(
    "rss",
    `RSS after ${Number(lastCp).toLocaleString("en-US")} calls < 120 MiB`,
    mib(rssOurs[lastCp] as number),
    (rssOurs[lastCp] as number) < 120 * MiB,
  );
  target(
    "rss-flat",
    `RSS not growing with calls (${Number(midCp).toLocaleString("en-US")} → ${Number(lastCp).toLocaleString("en-US")} calls: < +5 MiB)`,
    `${growth >= 0 ? "+" : ""}${(growth / MiB).toFixed(1)} MiB`,
    growth < 5 * MiB,
  );

  // 6. Shared calls
  const sh = r.sharedCalls;
  rows.push({
    section: `6. Shared calls: ${sh.ours.calls} concurrent identical calls, backend answering in ${sh.latencyFaultMs} ms`,
    figure: "backend requests made",
    ours: `${sh.ours.backendRequests}${sh.ours.backendRequests < sh.ours.calls ? " (shared)" : " (not shared)"}`,
    peer: `${sh.peer.backendRequests}`,
    floor: `${sh.ours.calls} calls`,
    ratio: "",
  });
  rows.push({
    section: "",
    figure: "wall time for all of them · most in flight at the backend",
    ours: `${ms(sh.ours.wallMs, 0)} · ${sh.ours.maxConcurrentAtBackend}`,
    peer: `${ms(sh.peer.wallMs, 0)} · ${sh.peer.maxConcurrentAtBackend}`,
    floor: "",
    ratio: "",
  });

  return { rows, targets };
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
