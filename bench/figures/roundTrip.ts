/**
 * Figure 2, the backend round trip alone: one getActiveSessions call (10 participants) made
 * every way bench/lib/backendClients.ts knows, from this process (the demo deployment's own) and
 * from a child process (bench/floor/roundtrip-child.ts, as a server makes its calls). The floors
 * of the per-call figure, and what chose connvo-mcp's fetch.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { DEMO_MEETINGS } from "../../src/demo/seed.js";
import { CLIENT_SUBJECTS } from "../lib/backendClients.js";
import { type BenchContext, type Figure, interleaved, ms, pick } from "../lib/figure.js";
import type { Row } from "../lib/report.js";
import { summarize } from "../lib/stats.js";
import { ROOT, subjectEnv } from "../lib/subjects.js";

const run = promisify(execFile);

export async function roundTripFigure(ctx: BenchContext): Promise<Figure> {
  const counts = ctx.smoke ? { warmup: 10, rounds: 2, perRound: 10 } : { warmup: 500, rounds: 8, perRound: 250 };
  const target = { url: ctx.demo.url, token: ctx.demo.token, meetingId: DEMO_MEETINGS.size10.id };
  const made = CLIENT_SUBJECTS.map((s) => ({ id: s.id, ...s.make(target) }));
  const inProcess = await interleaved(made, counts);
  for (const m of made) m.close();

  const child = await run(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(ROOT, "bench", "floor", "roundtrip-child.ts"),
      JSON.stringify({ ...target, ...counts }),
    ],
    { cwd: ROOT, env: subjectEnv(), maxBuffer: 64 * 2 ** 20 },
  );
  const { samples, cpu } = JSON.parse(child.stdout) as {
    samples: Record<string, number[]>;
    cpu: Record<string, number>;
  };
  const across = Object.fromEntries(
    Object.entries(samples).map(([id, list]) => [
      id,
      { ...summarize(list), cpuMsPerCall: (cpu[id] ?? 0) / list.length },
    ]),
  );

  const rows: Row[] = CLIENT_SUBJECTS.map((s, i) => {
    const a = pick(across, s.id);
    return {
      section:
        i === 0
          ? `2. Backend round trip alone: getActiveSessions on 10 participants, median of ${a.n} sequential calls (interleaved)`
          : "",
      figure: s.label,
      ours: "",
      peer: s.id === "axios" ? "(the peer's client)" : "",
      floor: `in process ${ms(pick(inProcess, s.id).median)} · from another process ${ms(a.median)} (p99 ${ms(a.p99, 2)})`,
      ratio: `CPU ${ms(a.cpuMsPerCall)} per call`,
    };
  });
  return {
    rows,
    targets: [],
    data: { inProcess, acrossProcesses: across },
    method: [
      `Backend round trip: ${counts.warmup} warm-up calls per way, then ${counts.rounds} rounds of ${counts.perRound} sequential calls`,
      "  in rotating order, once in the benchmark process (where the demo deployment runs) and once in a child process",
      "  (bench/floor/roundtrip-child.ts, run with tsx). CPU per call is the child's user+system time.",
    ],
  };
}
