/**
 * Figure 7, shared calls: 100 identical get_active_sessions calls sent at once while the demo
 * deployment delays every answer; the deployment's own counters say how many requests reached it.
 */
import { DEMO_MEETINGS } from "../../src/demo/seed.js";
import { type BenchContext, type Figure, ms } from "../lib/figure.js";
import type { Row } from "../lib/report.js";
import { nowMs } from "../lib/stats.js";
import { nodeLaunch, OUR_TOOL, oursEnv, peerArgs, spawnStdio, subjectEnv } from "../lib/subjects.js";

const LATENCY_MS = 200;

export async function sharedCallsFigure(ctx: BenchContext): Promise<Figure> {
  const calls = ctx.smoke ? 10 : 100;
  const meetingId = DEMO_MEETINGS.size10.id;
  const run = async (server: ReturnType<typeof spawnStdio>, tool: string, args: Record<string, unknown>) => {
    try {
      await server.handshake();
      await server.callTool(tool, args);
      ctx.demo.injectFault({ kind: "latency", ms: LATENCY_MS, meetingId });
      ctx.demo.resetStats();
      const started = nowMs();
      const results = await Promise.allSettled(Array.from({ length: calls }, () => server.callTool(tool, args)));
      const wallMs = nowMs() - started;
      const stats = ctx.demo.stats;
      return {
        calls,
        succeeded: results.filter((r) => r.status === "fulfilled").length,
        backendRequests: stats.queryRequests,
        maxConcurrentAtBackend: stats.maxConcurrent,
        wallMs,
      };
    } finally {
      ctx.demo.clearFaults();
      await server.close();
    }
  };
  const ours = await run(spawnStdio(ctx.ours, oursEnv(ctx.demo)), OUR_TOOL, { meetingId });
  const peer = await run(spawnStdio(nodeLaunch("peer", "peer", peerArgs(ctx.demo)), subjectEnv()), ctx.peerTool, {
    args: { meetingId },
  });
  const rows: Row[] = [
    {
      section: `7. Shared calls: ${calls} concurrent identical calls, backend answering in ${LATENCY_MS} ms`,
      figure: "backend requests made",
      ours: `${ours.backendRequests}${ours.backendRequests < calls ? " (shared)" : " (not shared)"}`,
      peer: `${peer.backendRequests}`,
      floor: `${calls} calls`,
      ratio: "",
    },
    {
      section: "",
      figure: "wall time for all of them · most in flight at the backend",
      ours: `${ms(ours.wallMs, 0)} · ${ours.maxConcurrentAtBackend}`,
      peer: `${ms(peer.wallMs, 0)} · ${peer.maxConcurrentAtBackend}`,
      floor: "",
      ratio: "",
    },
  ];
  return {
    rows,
    targets: [],
    data: { latencyFaultMs: LATENCY_MS, ours, peer },
    method: [
      `Shared calls: a fresh server, one warm-up call, then ${calls} identical calls sent at once while the demo deployment`,
      "  delays every answer (a `latency` fault); the deployment's own counters say how many requests reached it.",
    ],
  };
}
