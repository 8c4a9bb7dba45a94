/**
 * `npm run bench`: connvo-mcp against a real peer (@ivotoby/openapi-mcp-server) and against floors
 * (bare node, direct clients, raw sockets, an MCP SDK server), on the same demo deployment, in one
 * run. Each figure lives in bench/figures/ and returns its rows, targets and data.
 *
 *   npm run bench                 full run: prints the table, writes bench/results/latest.json and
 *                                 BENCHMARKS.md, prints PASS/MISS per target (exit 0 either way)
 *   npm run bench -- --strict     the same, but exit 1 when a target is missed
 *   npm run bench -- --smoke      tiny counts, no targets, writes only bench/results/smoke.json.tmp
 *                                 (CI runs this: it proves the benchmark still works, not speed)
 *   npm run bench -- --only cold,calls   some figures only (results go to a .tmp file)
 *
 * The package script builds first (`npm run build && tsx bench/run.ts`). Every server runs as a
 * child process on this machine; the demo deployment runs inside this process on 127.0.0.1.
 * Timing is never asserted in tests; only this script judges targets.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { type DemoDeployment, startDemoDeployment } from "../src/demo/deployment.js";
import { LARGE_DATA } from "../src/demo/examples.js";
import { answerSizeFigure } from "./figures/answerSize.js";
import { coldStartFigure } from "./figures/coldStart.js";
import { httpFigure } from "./figures/http.js";
import { memoryFigure } from "./figures/memory.js";
import { perCallFigure } from "./figures/perCall.js";
import { perToolFigure } from "./figures/perTool.js";
import { roundTripFigure } from "./figures/roundTrip.js";
import { sharedCallsFigure } from "./figures/sharedCalls.js";
import { watchFigure } from "./figures/watch.js";
import type { BenchContext, Figure } from "./lib/figure.js";
import { buildFloors } from "./lib/floors.js";
import { loadAverage, machineInfo, stealPercent, stealTicks } from "./lib/machine.js";
import { type Row, renderMarkdown, renderTable, type Target } from "./lib/report.js";
import {
  discoverPeerTool,
  INHERITED,
  oursAsLaunched,
  oursPlain,
  PEER_PACKAGE,
  PEER_VERSION,
  ROOT,
} from "./lib/subjects.js";
import { TOKENIZER } from "./lib/tokens.js";

const { values: flags } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    strict: { type: "boolean", default: false },
    // For A/B runs of a candidate build: `tsx bench/run.ts --cli /tmp/other/dist/cli.js`. Results
    // then go to bench/results/cli-<time>.json.tmp and BENCHMARKS.md is left alone.
    cli: { type: "string" },
    only: { type: "string" },
  },
});
const SMOKE = flags.smoke === true;
const CLI = flags.cli ? path.resolve(flags.cli) : path.join(ROOT, "dist", "cli.js");

const progress = (text: string) => process.stderr.write(`[bench] ${text}\n`);

/** The figures in the order they run (the quietest measurements first) and appear. */
const FIGURES: Array<{ id: string; title: string; run: (ctx: BenchContext) => Promise<Figure> }> = [
  { id: "cold", title: "cold start", run: coldStartFigure },
  { id: "roundtrip", title: "backend round trip", run: roundTripFigure },
  { id: "calls", title: "per-call latency over stdio", run: perCallFigure },
  { id: "sizes", title: "answer size", run: answerSizeFigure },
  { id: "tools", title: "every toolkit tool", run: perToolFigure },
  { id: "memory", title: "stdio memory", run: memoryFigure },
  { id: "shared", title: "shared calls", run: sharedCallsFigure },
  { id: "http", title: "Streamable HTTP", run: httpFigure },
  {
    id: "watch",
    title: "live watch",
    run: async (ctx) => {
      const figure = await watchFigure({ smoke: ctx.smoke, cli: ctx.cli });
      return { ...figure, method: ["Live watch: see bench/figures/watch.ts."] };
    },
  },
];

async function collect(demo: DemoDeployment) {
  const machine = machineInfo();
  const startedAt = new Date();
  const load: Record<string, number> = { start: loadAverage() };
  const steal: Record<string, number> = {};
  progress(
    `${SMOKE ? "smoke" : "full"} run on ${machine.cpu} (${machine.cores} cores), node ${machine.node}, load ${load.start}`,
  );
  const only = flags.only ? new Set(flags.only.split(",")) : undefined;

  const peer = await discoverPeerTool(demo);
  if (!peer.wrapsArgs) throw new Error("the peer's tool no longer takes {args: {...}}; update bench/lib/subjects.ts");
  progress(`peer tool: ${peer.name} with arguments {args: {meetingId}}`);
  const floors = await buildFloors(progress);
  const ctx: BenchContext = {
    smoke: SMOKE,
    demo,
    cli: CLI,
    ours: oursAsLaunched(CLI),
    oursPlain: oursPlain(CLI),
    floors,
    peerTool: peer.name,
    progress,
  };
  const figures: Record<string, Figure> = {};
  try {
    let step = 0;
    const chosen = FIGURES.filter((f) => !only || only.has(f.id));
    for (const figure of chosen) {
      progress(`${++step}/${chosen.length} ${figure.title}`);
      const before = stealTicks();
      figures[figure.id] = await figure.run(ctx);
      load[figure.id] = loadAverage();
      const share = stealPercent(before, stealTicks());
      if (share !== undefined) steal[figure.id] = share;
    }
  } finally {
    floors.close();
  }
  return {
    mode: SMOKE ? "smoke" : "full",
    date: startedAt.toISOString(),
    durationSec: Math.round((Date.now() - startedAt.getTime()) / 100) / 10,
    machine,
    loadAverage1m: load,
    stealPercent: steal,
    peer: { package: PEER_PACKAGE, version: PEER_VERSION, tool: peer.name },
    tokenizer: TOKENIZER,
    cli: path.relative(ROOT, CLI),
    launch: `started as ${ctx.ours.label}`,
    figures,
  };
}

function readNotes(): string {
  try {
    return readFileSync(path.join(ROOT, "bench", "NOTES.md"), "utf8");
  } catch {
    return "";
  }
}

async function main(): Promise<number> {
  // The large example calls' data (src/demo/examples.ts); the other figures read the default world.
  const demo = await startDemoDeployment({ ...LARGE_DATA });
  try {
    const results = await collect(demo);
    const figures = Object.values(results.figures);
    const rows: Row[] = figures.flatMap((f) => f.rows);
    const targets: Target[] = figures.flatMap((f) => f.targets);
    const method = figures.flatMap((f) => f.method);
    process.stdout.write(`${renderTable(rows, targets, SMOKE)}\n`);

    const resultsDir = path.join(ROOT, "bench", "results");
    mkdirSync(resultsDir, { recursive: true });
    const json = `${JSON.stringify(
      {
        ...results,
        figures: Object.fromEntries(Object.entries(results.figures).map(([k, f]) => [k, f.data])),
        targets,
      },
      null,
      2,
    )}\n`;
    const environment = `${INHERITED.join(" and ")} from the benchmark's shell and nothing else (no NODE_OPTIONS, no NODE_EXTRA_CA_CERTS, which is set in this shell and adds 50-80 ms to every Node start), plus each server's own settings (CONNVO_CONVEX_URL and CONNVO_TOKEN for connvo-mcp and the floors).`;
    if (flags.cli || flags.only) {
      const file = `run-${SMOKE ? "smoke-" : ""}${Date.now()}.json.tmp`;
      writeFileSync(path.join(resultsDir, file), json);
      progress(`wrote bench/results/${file} (--cli and --only runs leave latest.json and BENCHMARKS.md alone)`);
    } else if (SMOKE) {
      writeFileSync(path.join(resultsDir, "smoke.json.tmp"), json);
      progress("wrote bench/results/smoke.json.tmp (smoke runs leave BENCHMARKS.md alone)");
    } else {
      writeFileSync(path.join(resultsDir, "latest.json"), json);
      writeFileSync(
        path.join(ROOT, "BENCHMARKS.md"),
        renderMarkdown({ ...results, environment }, rows, targets, method, readNotes()),
      );
      progress("wrote bench/results/latest.json and BENCHMARKS.md");
    }
    const missed = targets.filter((t) => !t.pass);
    if (!SMOKE && flags.strict && missed.length > 0) return 1;
    return 0;
  } finally {
    await demo.close();
  }
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
