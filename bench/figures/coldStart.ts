/**
 * Figure 1, cold start over stdio: spawn → initialize → notifications/initialized → the first
 * tools/list answer, as a desktop client starts a server. connvo-mcp as users launch it (the bin,
 * dist/connvo-mcp, which npx and the client entries run) against bare node (spawn → exit of
 * `node -e ''`), the peer, connvo-mcp started plainly (`node dist/cli.js`, no snapshot) and the
 * MCP SDK floor (bench/floor/sdk-proxy.ts bundled like connvo-mcp, plainly and from its own
 * snapshot). Rotating order, one discarded round first so the page cache holds every file.
 */
import { spawn } from "node:child_process";
import { type BenchContext, type Figure, ms, pick, x } from "../lib/figure.js";
import type { Row, Target } from "../lib/report.js";
import { median, nowMs, type Summary, summarize } from "../lib/stats.js";
import { type Launch, nodeLaunch, oursEnv, peerArgs, spawnStdio, subjectEnv } from "../lib/subjects.js";

const BARE = "bare node";

function spawnBare(env: Record<string, string>): Promise<number> {
  const started = nowMs();
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore", env });
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", () => resolve(nowMs() - started));
  });
}

type Start = Summary & { cpuMedian?: number };

async function measure(
  subjects: Array<{ launch: Launch; env: Record<string, string> }>,
  bareEnv: Record<string, string>,
  runs: number,
): Promise<Record<string, Start>> {
  const wall: Record<string, number[]> = { [BARE]: [] };
  const cpu: Record<string, number[]> = {};
  const once = async (subject: (typeof subjects)[number]) => {
    const server = spawnStdio(subject.launch, subject.env);
    await server.handshake();
    const elapsed = nowMs() - server.spawnedAt;
    const used = server.cpuMs();
    await server.close();
    return { elapsed, used };
  };
  await spawnBare(bareEnv);
  for (const subject of subjects) await once(subject);
  const order = [BARE, ...subjects.map((s) => s.launch.id)];
  for (let run = 0; run < runs; run++) {
    for (let k = 0; k < order.length; k++) {
      const id = order[(k + run) % order.length] as string;
      if (id === BARE) {
        (wall[BARE] as number[]).push(await spawnBare(bareEnv));
        continue;
      }
      const subject = subjects.find((s) => s.launch.id === id) as (typeof subjects)[number];
      const { elapsed, used } = await once(subject);
      wall[id] = [...(wall[id] ?? []), elapsed];
      cpu[id] = [...(cpu[id] ?? []), used];
    }
  }
  return Object.fromEntries(
    Object.entries(wall).map(([id, samples]) => [
      id,
      { ...summarize(samples), cpuMedian: cpu[id] ? median(cpu[id]) : undefined },
    ]),
  );
}

export async function coldStartFigure(ctx: BenchContext): Promise<Figure> {
  const runs = ctx.smoke ? 2 : 20;
  const env = oursEnv(ctx.demo);
  const floorEnv = env;
  const peer = nodeLaunch("peer", "peer", peerArgs(ctx.demo));
  const sdk = nodeLaunch("SDK floor", "MCP SDK floor, bundled", [ctx.floors.script("sdk-proxy")]);
  const snap = ctx.floors.sdkSnapshot;
  const sdkSnapshot = snap
    ? nodeLaunch("SDK floor, snapshot", "MCP SDK floor from its snapshot", [
        ...snap.flags,
        "--snapshot-blob",
        snap.blob,
        ctx.floors.script("sdk-proxy"),
      ])
    : undefined;
  const subjects = [
    { launch: ctx.ours, env },
    { launch: peer, env: subjectEnv() },
    { launch: ctx.oursPlain, env },
    { launch: sdk, env: floorEnv },
    ...(sdkSnapshot ? [{ launch: sdkSnapshot, env: floorEnv }] : []),
  ];
  const starts = await measure(subjects, subjectEnv(), runs);

  // The same for bare node and connvo-mcp with this shell's NODE_EXTRA_CA_CERTS, to show what an
  // inherited variable does to every start (fewer runs: it is a side note).
  let withCa: Record<string, Start> | undefined;
  const ca = process.env.NODE_EXTRA_CA_CERTS;
  if (ca) {
    withCa = await measure(
      [{ launch: ctx.ours, env: { ...env, NODE_EXTRA_CA_CERTS: ca } }],
      subjectEnv({ NODE_EXTRA_CA_CERTS: ca }),
      ctx.smoke ? 1 : 8,
    );
  }

  const bare = pick(starts, BARE).median;
  const ours = pick(starts, "ours");
  const peerStart = pick(starts, "peer");
  const rows: Row[] = [
    {
      section: "1. Cold start over stdio (spawn → first tools/list answer), median",
      figure: `${ctx.ours.label}, ${ours.n} runs each, interleaved`,
      ours: ms(ours.median, 1),
      peer: ms(peerStart.median, 1),
      floor: `${ms(bare, 1)} (bare node -e '')`,
      ratio: `${x(ours.median / peerStart.median)} peer, ${x(ours.median / bare)} bare`,
    },
    {
      section: "",
      figure: "server CPU until tools/list (user+sys)",
      ours: ms(ours.cpuMedian, 0),
      peer: ms(peerStart.cpuMedian, 0),
      floor: "",
      ratio: x((ours.cpuMedian ?? Number.NaN) / (peerStart.cpuMedian ?? Number.NaN)),
    },
  ];
  const plain = pick(starts, ctx.oursPlain.id);
  rows.push({
    section: "",
    figure: `connvo-mcp started plainly: ${ctx.oursPlain.label} (no snapshot)`,
    ours: ms(plain.median, 1),
    peer: "",
    floor: "",
    ratio: `${x(plain.median / peerStart.median)} peer, ${x(plain.median / bare)} bare`,
  });
  for (const id of ["SDK floor", "SDK floor, snapshot"]) {
    const s = starts[id];
    if (!s) continue;
    rows.push({
      section: "",
      figure: `floor: ${id === "SDK floor" ? "MCP SDK server bundled like connvo-mcp" : "the same from its own startup snapshot"}`,
      ours: "",
      peer: "",
      floor: `${ms(s.median, 1)} (${x(s.median / bare)} bare)`,
      ratio: `ours ${ours.median - s.median >= 0 ? "+" : ""}${(ours.median - s.median).toFixed(1)} ms`,
    });
  }
  if (withCa) {
    const b = pick(withCa, BARE).median;
    const o = pick(withCa, "ours").median;
    rows.push({
      section: "",
      figure: "with this shell's NODE_EXTRA_CA_CERTS too (not the table's environment)",
      ours: ms(o, 1),
      peer: "",
      floor: `${ms(b, 1)} (bare node)`,
      ratio: `${x(o / b)} bare`,
    });
  }
  const targets: Target[] = [
    {
      id: "cold-vs-bare",
      text: "Cold start ≤ 2.5x bare node (as users launch it)",
      value: x(ours.median / bare),
      pass: ours.median / bare <= 2.5,
    },
    {
      id: "cold-vs-peer",
      text: "Cold start ≤ 0.35x the peer's",
      value: x(ours.median / peerStart.median),
      pass: ours.median / peerStart.median <= 0.35,
    },
  ];
  return {
    rows,
    targets,
    data: { starts, withNodeExtraCaCerts: withCa },
    method: [
      `Cold start: spawn → \`initialize\` → \`notifications/initialized\` → first \`tools/list\` answer, ${runs} runs each,`,
      "  interleaved with rotating order, after one discarded round; bare node is spawn → exit of `node -e ''`.",
      `  connvo-mcp is started as users start it: ${ctx.ours.label}, which runs \`node --snapshot-blob <blob>\` when a`,
      "  snapshot was built for this node binary (npm run build builds one), else the plain bundle.",
    ],
  };
}
