/** What every figure gets (BenchContext) and gives back (Figure), and the interleaved call loop. */
import type { DemoDeployment } from "../../src/demo/deployment.js";
import type { Floors } from "./floors.js";
import type { Row, Target } from "./report.js";
import { type Summary, summarize } from "./stats.js";
import type { Launch } from "./subjects.js";

export interface BenchContext {
  smoke: boolean;
  /** The demo deployment every server talks to, in this process. */
  demo: DemoDeployment;
  /** dist/cli.js of the build under test. */
  cli: string;
  /** connvo-mcp as users launch it (the bin), and plainly (`node dist/cli.js`). */
  ours: Launch;
  oursPlain: Launch;
  floors: Floors;
  /** The peer's tool name (from its tools/list). */
  peerTool: string;
  progress(text: string): void;
}

export interface Figure<D = unknown> {
  rows: Row[];
  targets: Target[];
  /** What goes into bench/results/latest.json. */
  data: D;
  /** How it was measured, for BENCHMARKS.md's Method section. */
  method: string[];
}

export interface CallTarget {
  id: string;
  call(): Promise<unknown>;
  /** CPU time the subject's process has used so far (ms), when it is another process. */
  cpuMs?(): number;
}

export type CallSummary = Summary & { cpuMsPerCall?: number };

/**
 * Warm-up calls for each target, then rounds of sequential calls per target in rotating order, so
 * that whatever else runs on the machine slows every subject alike.
 */
export async function interleaved(
  targets: CallTarget[],
  counts: { warmup: number; rounds: number; perRound: number },
): Promise<Record<string, CallSummary>> {
  for (const target of targets) for (let i = 0; i < counts.warmup; i++) await target.call();
  const samples: Record<string, number[]> = {};
  const cpu: Record<string, number> = {};
  for (let round = 0; round < counts.rounds; round++) {
    for (let k = 0; k < targets.length; k++) {
      const target = targets[(k + round) % targets.length] as CallTarget;
      const list = samples[target.id] ?? [];
      samples[target.id] = list;
      const cpuBefore = target.cpuMs?.() ?? Number.NaN;
      for (let i = 0; i < counts.perRound; i++) {
        const started = process.hrtime.bigint();
        await target.call();
        list.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
      cpu[target.id] = (cpu[target.id] ?? 0) + ((target.cpuMs?.() ?? Number.NaN) - cpuBefore);
    }
  }
  return Object.fromEntries(
    targets.map((t) => {
      const list = samples[t.id] as number[];
      const perCall = (cpu[t.id] ?? Number.NaN) / list.length;
      return [t.id, { ...summarize(list), cpuMsPerCall: Number.isFinite(perCall) ? perCall : undefined }];
    }),
  );
}

export const ms = (v: number | undefined, digits = 3) =>
  v === undefined || !Number.isFinite(v) ? "—" : `${v.toFixed(digits)} ms`;
export const x = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}x` : "—");
export const mib = (bytes: number | undefined) =>
  bytes !== undefined && Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : "—";
export const MiB = 2 ** 20;

/** rec[key], or a clear error: every figure a table reads must have been measured. */
export function pick<T>(rec: Record<string, T>, key: string | number): T {
  const value = rec[key];
  if (value === undefined) throw new Error(`missing figure: ${key}`);
  return value;
}
