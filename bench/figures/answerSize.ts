/**
 * Figure 4, answer size of get_active_sessions: the text content the model receives from
 * connvo-mcp and from the peer (which returns the backend's JSON) for 1 to 1,000 participants,
 * with the check that the compact answer still names everyone who needs attention; and what the
 * tool definitions cost in context (tools/list).
 */
import { ConvexHttpClient } from "convex/browser";
import { createFastFetch } from "../../src/convex/fetch.js";
import { DEMO_MEETINGS } from "../../src/demo/seed.js";
import { type AttentionCheck, checkAttention, peopleNeedingAttention } from "../lib/attention.js";
import { type BenchContext, type Figure, pick, x } from "../lib/figure.js";
import type { Row, Target } from "../lib/report.js";
import { textOf } from "../lib/stdio.js";
import { FUNCTION_PATH, nodeLaunch, OUR_TOOL, oursEnv, peerArgs, spawnStdio, subjectEnv } from "../lib/subjects.js";
import { countTokens, TOKENIZER, utf8Bytes } from "../lib/tokens.js";

const SIZES = [
  ["size1", 1],
  ["size10", 10],
  ["size100", 100],
  ["size1000", 1000],
] as const;

export interface SizeFigure {
  participants: number;
  ours: { bytes: number; tokens: number; structuredBytes: number };
  peer: { bytes: number; tokens: number };
  compactJson: { bytes: number; tokens: number };
  oursVsPeer: number;
  oursVsCompact: number;
  attention: AttentionCheck;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

export async function answerSizeFigure(ctx: BenchContext): Promise<Figure> {
  const ours = spawnStdio(ctx.ours, oursEnv(ctx.demo));
  const peer = spawnStdio(nodeLaunch("peer", "peer", peerArgs(ctx.demo)), subjectEnv());
  const fetch = createFastFetch();
  const direct = new ConvexHttpClient(ctx.demo.url, { logger: false, skipConvexDeploymentUrlCheck: true, fetch });
  direct.setAuth(ctx.demo.token);
  const sizes: Record<string, SizeFigure> = {};
  let lists: { ours: string; peer: string };
  try {
    const ourList = await ours.handshake();
    const peerList = await peer.handshake();
    lists = { ours: JSON.stringify(ourList.result), peer: JSON.stringify(peerList.result) };
    const tools = (ourList.result?.tools ?? []) as Array<{
      name: string;
      inputSchema?: { properties?: { limit?: { default?: number } } };
    }>;
    const limit = tools.find((t) => t.name === OUR_TOOL)?.inputSchema?.properties?.limit?.default ?? 25;
    for (const [name, participants] of SIZES) {
      const meetingId = DEMO_MEETINGS[name].id;
      const now = Date.now();
      const rows = (await direct.query(FUNCTION_PATH as never, { meetingId } as never)) as unknown[];
      const oursResult = await ours.callTool(OUR_TOOL, { meetingId });
      const peerResult = await peer.callTool(ctx.peerTool, { args: { meetingId } });
      const oursText = textOf(oursResult);
      const peerText = textOf(peerResult);
      let compact: string;
      try {
        compact = JSON.stringify(JSON.parse(peerText));
      } catch {
        compact = JSON.stringify({ status: "success", value: rows });
      }
      const structured = oursResult.structuredContent as Record<string, unknown> | undefined;
      sizes[name] = {
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
  } finally {
    await ours.close();
    await peer.close();
    await fetch.close();
  }

  const rows: Row[] = [];
  let first = true;
  for (const [name, s] of Object.entries(sizes)) {
    rows.push({
      section: first
        ? `4. Answer size of get_active_sessions: text content the model receives (tokens: ${TOKENIZER})`
        : "",
      figure: `${s.participants} participant${s.participants === 1 ? "" : "s"} (${name})`,
      ours: `${s.ours.bytes} B · ${s.ours.tokens} tok`,
      peer: `${s.peer.bytes} B · ${s.peer.tokens} tok`,
      floor: `compact JSON ${s.compactJson.bytes} B · ${s.compactJson.tokens} tok`,
      ratio: `${(s.oursVsPeer * 100).toFixed(1)}% of peer, ${(s.oursVsCompact * 100).toFixed(1)}% of compact`,
    });
    first = false;
  }
  for (const [name, s] of Object.entries(sizes)) {
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
    figure: "tools/list answer (tool definitions in context; every read tool of connvo-mcp, the peer's one)",
    ours: `${utf8Bytes(lists.ours)} B · ${countTokens(lists.ours)} tok`,
    peer: `${utf8Bytes(lists.peer)} B · ${countTokens(lists.peer)} tok`,
    floor: "",
    ratio: x(utf8Bytes(lists.ours) / utf8Bytes(lists.peer)),
  });
  const s10 = pick(sizes, "size10");
  const s1000 = pick(sizes, "size1000");
  const attentionOk = Object.values(sizes).every((s) => s.attention.ok);
  const targets: Target[] = [
    {
      id: "answer-10",
      text: "Answer ≤ 30% of the peer's raw JSON at 10 participants",
      value: `${(s10.oursVsPeer * 100).toFixed(1)}% (${(s10.oursVsCompact * 100).toFixed(1)}% of compact JSON)`,
      pass: s10.oursVsPeer <= 0.3,
    },
    {
      id: "answer-1000",
      text: "Answer < 8 KiB at 1,000 participants",
      value: `${s1000.ours.bytes} B (${kib(s1000.ours.bytes)})`,
      pass: s1000.ours.bytes < 8 * 1024,
    },
    {
      id: "attention",
      text: "Names everyone needing attention, up to the limit (1..1,000)",
      value: attentionOk ? "all sizes ok" : "missing names",
      pass: attentionOk,
    },
  ];
  return {
    rows,
    targets,
    data: { sizes, toolsList: { ours: utf8Bytes(lists.ours), peer: utf8Bytes(lists.peer) } },
    method: [
      "Answer size: UTF-8 bytes and tokens of the tool result's text content with default arguments (ours: limit and",
      '  format defaults), for the seeded meetings size1/size10/size100/size1000. "Compact JSON" is the peer\'s answer',
      "  re-serialized without whitespace. The attention check re-derives, from the raw rows and the documented rules",
      "  (poor/fair fresh quality, stale metrics > 120 s, stuck connecting ≥ 30 s, dropped, failed), who needs attention,",
      "  and checks that our text names min(needing attention, limit) of them by userId and counts the rest as left out.",
    ],
  };
}
