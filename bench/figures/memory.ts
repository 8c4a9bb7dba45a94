/**
 * Figure 6, resident memory of a stdio server: VmRSS of a fresh process after the handshake and
 * after 1,000 / 5,000 / 10,000 sequential get_active_sessions calls, connvo-mcp as launched and
 * the peer.
 */
import { DEMO_MEETINGS } from "../../src/demo/seed.js";
import { type BenchContext, type Figure, MiB, mib, x } from "../lib/figure.js";
import type { Row, Target } from "../lib/report.js";
import { nodeLaunch, OUR_TOOL, oursEnv, peerArgs, spawnStdio, subjectEnv } from "../lib/subjects.js";

export async function memoryFigure(ctx: BenchContext): Promise<Figure> {
  const checkpoints = ctx.smoke ? [20, 50, 100] : [1000, 5000, 10000];
  const meetingId = DEMO_MEETINGS.size10.id;
  const run = async (server: ReturnType<typeof spawnStdio>, tool: string, args: Record<string, unknown>) => {
    try {
      await server.handshake();
      const rss: Record<string, number> = { "0": server.rssBytes() };
      const last = checkpoints[checkpoints.length - 1] as number;
      for (let i = 1; i <= last; i++) {
        await server.callTool(tool, args);
        if (checkpoints.includes(i)) rss[String(i)] = server.rssBytes();
      }
      return rss;
    } finally {
      await server.close();
    }
  };
  const ours = await run(spawnStdio(ctx.ours, oursEnv(ctx.demo)), OUR_TOOL, { meetingId });
  const peer = await run(spawnStdio(nodeLaunch("peer", "peer", peerArgs(ctx.demo)), subjectEnv()), ctx.peerTool, {
    args: { meetingId },
  });
  const rows: Row[] = ["0", ...checkpoints.map(String)].map((n, i) => ({
    section: i === 0 ? "6. Resident set (VmRSS) of a stdio server" : "",
    figure: n === "0" ? "after the handshake" : `after ${Number(n).toLocaleString("en-US")} calls`,
    ours: mib(ours[n]),
    peer: mib(peer[n]),
    floor: "",
    ratio: x((ours[n] ?? Number.NaN) / (peer[n] ?? Number.NaN)),
  }));
  const last = String(checkpoints[checkpoints.length - 1]);
  const mid = String(checkpoints[checkpoints.length - 2]);
  const growth = (ours[last] ?? Number.NaN) - (ours[mid] ?? Number.NaN);
  const targets: Target[] = [
    {
      id: "rss",
      text: `stdio RSS after ${Number(last).toLocaleString("en-US")} calls < 120 MiB`,
      value: mib(ours[last]),
      pass: (ours[last] ?? Number.NaN) < 120 * MiB,
    },
    {
      id: "rss-flat",
      text: `stdio RSS not growing with calls (${Number(mid).toLocaleString("en-US")} → ${Number(last).toLocaleString("en-US")} calls: < +5 MiB)`,
      value: `${growth >= 0 ? "+" : ""}${(growth / MiB).toFixed(1)} MiB`,
      pass: growth < 5 * MiB,
    },
  ];
  return {
    rows,
    targets,
    data: { ours, peer },
    method: [
      `Memory (stdio): VmRSS of a fresh server process after the handshake and after ${checkpoints.join(" / ")} sequential calls.`,
    ],
  };
}
