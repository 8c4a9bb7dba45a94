/**
 * Figure 8, Streamable HTTP: get_active_sessions on 10 participants from N concurrent clients
 * (raw JSON-RPC POSTs over node:http with a keep-alive agent; no SDK client), connvo-mcp as users
 * launch it (`connvo-mcp --http --port 0`) against the peer in HTTP mode and a bare node:http floor
 * (bench/floor/http-proxy.ts); then resident memory of a fresh server over 20,000 calls from 16
 * clients.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { DEMO_MEETINGS } from "../../src/demo/seed.js";
import { type BenchContext, type Figure, MiB, mib, ms, pick, x } from "../lib/figure.js";
import { McpHttpClient } from "../lib/http.js";
import type { Row, Target } from "../lib/report.js";
import { nowMs, percentile } from "../lib/stats.js";
import { type Launch, OUR_TOOL, oursEnv, peerArgs, ROOT, subjectEnv } from "../lib/subjects.js";

const CONCURRENCY = [1, 16, 64];

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
  pid: number;
  rssBytes(): number;
  stop(): Promise<void>;
}

async function startHttpServer(
  command: string,
  args: string[],
  env: Record<string, string>,
  readyUrl: (stderr: string) => URL | undefined,
): Promise<HttpServer> {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "ignore", "pipe"] });
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
  const pid = child.pid ?? -1;
  return {
    url,
    pid,
    rssBytes() {
      try {
        const status = readFileSync(`/proc/${pid}/status`, "utf8");
        const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
        return match ? Number(match[1]) * 1024 : Number.NaN;
      } catch {
        return Number.NaN;
      }
    },
    async stop() {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

interface Load {
  calls: number;
  callsPerSec: number;
  p50: number;
  p99: number;
  loadGenCpuPct: number;
}

async function connect(server: HttpServer, agent: http.Agent, stream: boolean): Promise<McpHttpClient> {
  const client = new McpHttpClient(server.url, agent);
  await client.initialize();
  if (stream) await client.openStreamAndWait();
  return client;
}

/** `total` calls shared by `concurrency` clients calling back to back; checkpoints get a callback. */
async function load(
  server: HttpServer,
  tool: string,
  args: Record<string, unknown>,
  stream: boolean,
  concurrency: number,
  total: number,
  onCall?: (done: number) => void,
): Promise<Load> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const clients = await Promise.all(Array.from({ length: concurrency }, () => connect(server, agent, stream)));
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
        onCall?.(latencies.length);
      }
    }),
  );
  const wallMs = nowMs() - started;
  const used = process.cpuUsage(cpuBefore);
  for (const client of clients) client.close();
  agent.destroy();
  return {
    calls: latencies.length,
    callsPerSec: (latencies.length / wallMs) * 1000,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    // How busy this process (load generator + demo deployment) was: near 100% (of one core) means
    // the figure is bounded by the load generator, not by the server.
    loadGenCpuPct: ((used.user + used.system) / 1000 / wallMs) * 100,
  };
}

type Side = Record<number, Load> | { skipped: string };

export async function httpFigure(ctx: BenchContext): Promise<Figure> {
  const counts = ctx.smoke
    ? { warmup: 5, calls: { 1: 10, 16: 32, 64: 64 } as Record<number, number>, rss: [50, 100, 200] }
    : { warmup: 300, calls: { 1: 2000, 16: 4000, 64: 6400 } as Record<number, number>, rss: [5000, 10000, 20000] };
  const meetingId = DEMO_MEETINGS.size10.id;
  const ours = (launch: Launch) =>
    startHttpServer(launch.command, [...launch.args, "--http", "--port", "0"], oursEnv(ctx.demo), (stderr) => {
      const match = /listening on (http:\/\/\S+\/mcp)/.exec(stderr);
      return match ? new URL(match[1] as string) : undefined;
    });
  const peer = async () => {
    const port = await freePort();
    return startHttpServer(
      process.execPath,
      peerArgs(ctx.demo, ["--transport", "http", "--host", "127.0.0.1", "--port", String(port)]),
      subjectEnv(),
      (stderr) => (/listening|running/i.test(stderr) ? new URL(`http://127.0.0.1:${port}/mcp`) : undefined),
    );
  };
  // The floor: the cheapest HTTP server that asks the backend (bench/floor/http-proxy.ts).
  const floor = () =>
    startHttpServer(process.execPath, [ctx.floors.script("http-proxy"), "--port", "0"], oursEnv(ctx.demo), (stderr) => {
      const match = /listening on (http:\/\/\S+\/mcp)/.exec(stderr);
      return match ? new URL(match[1] as string) : undefined;
    });
  const subjects = [
    { id: "ours", start: () => ours(ctx.ours), tool: OUR_TOOL, args: { meetingId }, stream: false, memory: true },
    // The peer accepts each POST with 202 and answers on the session's GET event stream.
    { id: "peer", start: peer, tool: ctx.peerTool, args: { args: { meetingId } }, stream: true, memory: true },
    { id: "floor", start: floor, tool: "proxy", args: { meetingId }, stream: false, memory: false },
  ];

  // Throughput: both servers up, each concurrency measured for one then the other (the order
  // alternating), so a change in the machine's load hits both alike.
  const throughput: Record<string, Side> = {};
  const started: Array<{ s: (typeof subjects)[number]; server: HttpServer }> = [];
  try {
    for (const s of subjects) {
      try {
        const server = await s.start();
        started.push({ s, server });
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const warm = await connect(server, agent, s.stream);
        for (let i = 0; i < counts.warmup; i++) await warm.callTool(s.tool, s.args);
        warm.close();
        agent.destroy();
        throughput[s.id] = {};
      } catch (error) {
        throughput[s.id] = { skipped: `failed: ${(error as Error).message.slice(0, 200)}` };
      }
    }
    for (const [k, c] of CONCURRENCY.entries()) {
      // Rotated, so no subject always goes first (or last) at a concurrency.
      const order = started.map((_, i) => started[(i + k) % started.length] as (typeof started)[number]);
      for (const { s, server } of order) {
        ctx.progress(`HTTP: ${s.id}, ${c} client${c === 1 ? "" : "s"}`);
        const side = throughput[s.id];
        if (!side || "skipped" in side) continue;
        try {
          side[c] = await load(server, s.tool, s.args, s.stream, c, counts.calls[c] as number);
        } catch (error) {
          throughput[s.id] = { skipped: `failed: ${(error as Error).message.slice(0, 200)}` };
        }
      }
    }
  } finally {
    for (const { server } of started) await server.stop();
  }

  // Memory: a fresh server per subject, 16 clients, RSS at the checkpoints.
  const rss: Record<string, Record<string, number> | { skipped: string }> = {};
  for (const s of subjects.filter((subject) => subject.memory)) {
    ctx.progress(`HTTP memory: ${s.id}`);
    try {
      const fresh = await s.start();
      try {
        const points: Record<string, number> = { "0": fresh.rssBytes() };
        const last = counts.rss[counts.rss.length - 1] as number;
        await load(fresh, s.tool, s.args, s.stream, 16, last, (done) => {
          if (counts.rss.includes(done)) points[String(done)] = fresh.rssBytes();
        });
        rss[s.id] = points;
      } finally {
        await fresh.stop();
      }
    } catch (error) {
      rss[s.id] = { skipped: `failed: ${(error as Error).message.slice(0, 200)}` };
    }
  }

  const rows: Row[] = [];
  const targets: Target[] = [];
  const o = throughput.ours;
  const p = throughput.peer;
  const f = throughput.floor;
  const section =
    "8. Streamable HTTP, get_active_sessions on 10 participants (raw JSON-RPC POSTs over node:http, keep-alive; no SDK client)";
  if (!o || "skipped" in o) {
    rows.push({
      section,
      figure: "calls/s at 1/16/64 clients",
      ours: `skipped: ${o?.skipped}`,
      peer: "",
      floor: "",
      ratio: "",
    });
  } else {
    CONCURRENCY.forEach((c, i) => {
      const ol = pick(o, c);
      const pl = p && !("skipped" in p) ? pick(p, c) : undefined;
      const fl = f && !("skipped" in f) ? f[c] : undefined;
      rows.push({
        section: i === 0 ? section : "",
        figure: `${c} concurrent client${c === 1 ? "" : "s"}: calls/s · p50 · p99`,
        ours: `${ol.callsPerSec.toFixed(0)}/s · ${ms(ol.p50, 2)} · ${ms(ol.p99, 2)}`,
        peer: pl ? `${pl.callsPerSec.toFixed(0)}/s · ${ms(pl.p50, 2)} · ${ms(pl.p99, 2)}` : "skipped",
        floor: `${fl ? `floor ${fl.callsPerSec.toFixed(0)}/s · ${ms(fl.p50, 2)} · ${ms(fl.p99, 2)}; ` : ""}load generator CPU ${ol.loadGenCpuPct.toFixed(0)}%`,
        ratio: pl ? `${x(ol.callsPerSec / pl.callsPerSec)} throughput, p99 ${x(ol.p99 / pl.p99)}` : "",
      });
      if (pl) {
        const need = c === 1 ? 1.0 : 1.5;
        targets.push({
          id: `http-${c}`,
          text: `HTTP calls/s ≥ ${need.toFixed(1)}x the peer's at ${c} client${c === 1 ? "" : "s"}, p99 ≤ the peer's`,
          value: `${x(ol.callsPerSec / pl.callsPerSec)}, p99 ${ms(ol.p99, 2)} vs ${ms(pl.p99, 2)}`,
          pass: ol.callsPerSec / pl.callsPerSec >= need && ol.p99 <= pl.p99,
        });
      }
    });
  }
  const ro = rss.ours;
  const rp = rss.peer;
  if (ro && !("skipped" in ro)) {
    counts.rss.forEach((n, i) => {
      rows.push({
        section: i === 0 ? "8b. Resident set (VmRSS) of a fresh HTTP server, 16 clients" : "",
        figure: `after ${n.toLocaleString("en-US")} calls`,
        ours: mib(ro[String(n)]),
        peer: rp && !("skipped" in rp) ? mib(rp[String(n)]) : "",
        floor: "",
        ratio: rp && !("skipped" in rp) ? x((ro[String(n)] ?? Number.NaN) / (rp[String(n)] ?? Number.NaN)) : "",
      });
    });
    const last = ro[String(counts.rss[counts.rss.length - 1])] ?? Number.NaN;
    const mid = ro[String(counts.rss[counts.rss.length - 2])] ?? Number.NaN;
    targets.push({
      id: "http-rss",
      text: `HTTP server RSS after ${counts.rss[counts.rss.length - 1]?.toLocaleString("en-US")} calls at 16 clients < 160 MiB`,
      value: mib(last),
      pass: last < 160 * MiB,
    });
    targets.push({
      id: "http-rss-flat",
      text: `HTTP server RSS not growing (${counts.rss[counts.rss.length - 2]?.toLocaleString("en-US")} → ${counts.rss[counts.rss.length - 1]?.toLocaleString("en-US")} calls: < +10 MiB)`,
      value: `${last - mid >= 0 ? "+" : ""}${((last - mid) / MiB).toFixed(1)} MiB`,
      pass: last - mid < 10 * MiB,
    });
  }
  return {
    rows,
    targets,
    data: { throughput, rss },
    method: [
      `HTTP: \`${ctx.ours.label} --http --port 0\` (loopback, no shared secret) and the peer with \`--transport http\`, both running;`,
      `  ${counts.warmup} warm-up calls each; then, per concurrency and alternating which goes first, N clients (each initialized) share ${Object.entries(
        counts.calls,
      )
        .map(([k, v]) => `${v} calls at ${k}`)
        .join(", ")} and call back to back. The load generator and the`,
      "  demo deployment share the benchmark process; its CPU use is shown (100% = one core). The floor column: a bare",
      "  node:http server making connvo-mcp's backend call (bench/floor/http-proxy.ts), measured in the same rotation. Memory: a fresh server per",
      `  subject, 16 clients, VmRSS after ${counts.rss.join(" / ")} calls.`,
    ],
  };
}
