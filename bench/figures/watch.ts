/**
 * Figure: how soon a change in the demo world reaches a waiting watch_meeting (target: within
 * 1 s). connvo-mcp runs as a child process over stdio (the bundled CLI), against a demo
 * deployment in this process; each round starts a watch with the last cursor, waits until the
 * deployment holds its subscription, changes the meeting (alternately someone drops and comes
 * back) and times from the change to the answer on stdout. The same is measured with the
 * deployment refusing WebSockets, so the HTTP polling fallback is on record too (bounded by its
 * 2 s poll interval, reported, not judged).
 *
 *   tsx bench/figures/watch.ts [--smoke]      the figure alone
 *   watchFigure(ctx)                          from bench/run.ts (a BenchContext; or { smoke, cli, into })
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startDemoDeployment } from "../../src/demo/deployment.js";
import type { Figure } from "../lib/figure.js";
import type { Row, Target } from "../lib/report.js";
import { nowMs, percentile } from "../lib/stats.js";
import { type Launch, oursAsLaunched, oursEnv, spawnStdio } from "../lib/subjects.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The figure: a change reaches a waiting watch within this. */
export const TARGET_MS = 1_000;

export type WatchFigure = Figure<{ subscriptionMs: number[]; pollingMs: number[]; rounds: number }>;

/** What it needs of bench/lib/figure.ts's BenchContext (`into`: append to an older report's table). */
export interface WatchContext {
  smoke: boolean;
  cli: string;
  ours?: Launch;
  progress?(text: string): void;
  into?: { rows: Row[]; targets: Target[] };
}

interface WatchAnswer {
  cursor: string;
  changed: boolean;
  via: string;
}

async function sleep(ms: number) {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

async function measure(options: { launch: Launch; rounds: number; websocket: boolean }): Promise<number[]> {
  // A deployment of its own: nothing changes by itself, no heartbeats, only the changes timed here.
  const demo = await startDemoDeployment({ liveEveryMs: 0, syncRefreshMs: 0 });
  if (!options.websocket) demo.sync.setAccepting(false);
  const rpc = spawnStdio(options.launch, oursEnv(demo));
  const latencies: number[] = [];
  try {
    await rpc.handshake();
    const meetingId = demo.meetings.healthy;
    const answer = async (args: Record<string, unknown>) =>
      (await rpc.callTool("watch_meeting", args)).structuredContent as unknown as WatchAnswer;
    let { cursor } = await answer({ meetingId });
    const marcus = demo.world.meetings
      .get(meetingId)
      ?.sessions?.(Date.now())
      .find((row) => row.user.displayName === "Marcus Chen")?.userId;
    for (let round = 0; round < options.rounds; round++) {
      const waiting = answer({ meetingId, since: cursor, waitSec: 30 });
      // The watch is waiting once the deployment holds its subscription (or, polling, after a poll).
      const deadline = Date.now() + 10_000;
      while (options.websocket && demo.sync.stats.byMeeting[meetingId] !== 1 && Date.now() < deadline) await sleep(5);
      await sleep(options.websocket ? 50 : 2_500);
      const changedAt = nowMs();
      demo.live.apply(
        meetingId,
        round % 2 === 0 ? { kind: "drop", userId: marcus } : { kind: "rejoin", userId: marcus },
      );
      const result = await waiting;
      latencies.push(nowMs() - changedAt);
      if (!result.changed) throw new Error(`round ${round}: the watch did not see the change`);
      cursor = result.cursor;
    }
  } finally {
    rpc.child.stdin.end();
    await Promise.race([rpc.exited, sleep(5_000)]);
    rpc.child.kill("SIGKILL");
    await demo.close();
  }
  return latencies;
}

const ms = (value: number) => `${value.toFixed(value < 10 ? 1 : 0)} ms`;

/** Measures the figure; with `into`, also appends its rows and targets to a report's. */
export async function watchFigure(ctx: WatchContext): Promise<WatchFigure> {
  const launch = ctx.ours ?? oursAsLaunched(ctx.cli);
  const rounds = ctx.smoke ? 3 : 40;
  ctx.progress?.(`live: ${rounds} changes to a waiting watch_meeting (WebSocket), then the HTTP fallback`);
  const subscription = await measure({ launch, rounds, websocket: true });
  const polling = await measure({ launch, rounds: ctx.smoke ? 1 : 5, websocket: false });
  const p50 = percentile(subscription, 50);
  const p95 = percentile(subscription, 95);
  const worst = Math.max(...subscription);
  const rows: Row[] = [
    {
      section: "Live: a change in the demo world reaches a waiting watch_meeting",
      figure: `change → answer, WebSocket subscription (${rounds} rounds): p50 / p95 / max`,
      ours: `${ms(p50)} / ${ms(p95)} / ${ms(worst)}`,
      peer: "n/a (pull-only)",
      floor: `target < ${TARGET_MS} ms`,
      ratio: "",
    },
    {
      section: "",
      figure: `change → answer, HTTP polling fallback (${polling.length} rounds): p50 / max`,
      ours: `${ms(percentile(polling, 50))} / ${ms(Math.max(...polling))}`,
      peer: "n/a",
      floor: "poll every 2 s",
      ratio: "",
    },
  ];
  const targets: Target[] = [
    {
      id: "watch-change-latency",
      text: `a change reaches a waiting watch_meeting within ${TARGET_MS / 1000} s (p95 and max)`,
      value: `p95 ${ms(p95)}, max ${ms(worst)}`,
      pass: p95 < TARGET_MS && worst < TARGET_MS,
    },
  ];
  ctx.into?.rows.push(...rows);
  ctx.into?.targets.push(...targets);
  return {
    rows,
    targets,
    data: { subscriptionMs: subscription, pollingMs: polling, rounds },
    method: [
      `Live: ${launch.label} over stdio against a demo deployment of its own (nothing changes by itself). Each round starts watch_meeting with the last cursor (waitSec 30), waits until the deployment holds the subscription, drops or brings back one person with demo.live.apply, and times from that call to the answer on stdout. Then the same with the deployment refusing WebSockets (HTTP polling fallback, every 2 s).`,
    ],
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const figure = await watchFigure({
    smoke: process.argv.includes("--smoke"),
    cli: path.join(ROOT, "dist", "cli.js"),
    progress: (text) => process.stderr.write(`${text}\n`),
  });
  for (const row of figure.rows) console.log(`${row.figure}: ${row.ours} (${row.floor})`);
  for (const t of figure.targets) console.log(`${t.pass ? "PASS" : "MISS"} ${t.text}: ${t.value}`);
}
