/**
 * Where the time goes: a V8 CPU profile of connvo-mcp, summed by function.
 *
 *   npx tsx bench/profile.ts calls [N]     N sequential get_active_sessions calls (default 5000)
 *   npx tsx bench/profile.ts startup       spawn → initialize → tools/list
 *   ... --cli path/to/cli.js               profile another build (A/B)
 *
 * Prints the top functions by self time and by inclusive time, and keeps the .cpuprofile (open it
 * in Chrome DevTools → Performance, or VS Code) in bench/results/profile-*.cpuprofile.tmp. Build
 * first (`npm run build`); the bundle keeps function names, so the lists read.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startDemoDeployment } from "../src/demo/deployment.js";
import { DEMO_MEETINGS } from "../src/demo/seed.js";
import { median, nowMs } from "./lib/stats.js";
import { StdioRpc } from "./lib/stdio.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const { values, positionals } = parseArgs({ allowPositionals: true, options: { cli: { type: "string" } } });
const mode = positionals[0] ?? "calls";
const calls = Number(positionals[1] ?? 5000);
const cli = values.cli ? path.resolve(values.cli) : path.join(ROOT, "dist", "cli.js");

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function summarizeProfile(profile: Profile, top = 30): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: ProfileNode) =>
    `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url ? path.basename(n.callFrame.url) : ""}`.trim();
  const selfTime = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const node = byId.get(id);
    if (!node) return;
    selfTime.set(label(node), (selfTime.get(label(node)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (!n) break;
      const key = label(n);
      if (!seen.has(key)) inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
      seen.add(key);
    }
  });
  const list = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, t]) => `${t.toFixed(1).padStart(9)} ms ${((100 * t) / total).toFixed(1).padStart(5)}%  ${k}`)
      .join("\n");
  return `total ${total.toFixed(0)} ms sampled\n\nself time\n${list(selfTime)}\n\ninclusive time\n${list(inclusive)}`;
}

const demo = await startDemoDeployment();
const dir = mkdtempSync(path.join(os.tmpdir(), "connvo-mcp-profile-"));
try {
  const env = { PATH: process.env.PATH ?? "", CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN: demo.token };
  const server = new StdioRpc(
    process.execPath,
    ["--cpu-prof", "--cpu-prof-dir", dir, "--cpu-prof-interval", mode === "startup" ? "50" : "200", cli],
    env,
    ROOT,
  );
  await server.handshake();
  if (mode === "calls") {
    const meetingId = DEMO_MEETINGS.size10.id;
    const latencies: number[] = [];
    for (let i = 0; i < calls; i++) {
      const started = nowMs();
      await server.callTool("get_active_sessions", { meetingId });
      latencies.push(nowMs() - started);
    }
    const half = Math.floor(latencies.length / 2);
    process.stderr.write(
      `${calls} calls; median (profiler on) first half ${median(latencies.slice(0, half)).toFixed(3)} ms, second half ${median(latencies.slice(half)).toFixed(3)} ms\n`,
    );
  }
  await server.close();
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error("no profile written");
  const text = readFileSync(path.join(dir, file), "utf8");
  const kept = path.join(ROOT, "bench", "results", `profile-${mode}-${Date.now()}.cpuprofile.tmp`);
  writeFileSync(kept, text);
  process.stdout.write(`${summarizeProfile(JSON.parse(text) as Profile)}\n\nprofile: ${path.relative(ROOT, kept)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  await demo.close();
}
