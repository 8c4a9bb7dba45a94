/**
 * The insights tools' pure parts with hand-made data: get_meeting_summary's and
 * list_action_items' shapes and leads (edge cases, hostile text, sizes in o200k tokens), and the
 * byte-measured sizing helpers they share.
 */
import { describe, expect, it } from "vitest";
import { ToolFailure } from "../../src/core/failures.js";
import { capBytes, clip, fitToBudget, jsonBytes, utf8Bytes } from "../../src/present/size.js";
import { getMeetingSummary, type InsightDoc, type SummaryData } from "../../src/tools/getMeetingSummary.js";
import { type ActionItemsData, type InsightRow, listActionItems } from "../../src/tools/listActionItems.js";
import { tokensOf } from "../helpers/tokens.js";
import {
  expectNoHiddenOrBreaks,
  expectThreeLines,
  expensivePieces,
  expensiveText,
  HOSTILE,
  NOW,
  render,
} from "./shapeHelpers.js";

const MEETING = "j5789en0xbhq7w3p6dt0qej1jqs6r0zy";
const HOUR = 3_600_000;

const doc = (over: Partial<InsightDoc> = {}): InsightDoc => ({
  _id: "jx7bstxpdes3hkcspjm3ptq2myc7b555",
  summary: "We moved the release to Thursday.",
  actionItems: ["Marcus: load tests", "Aisha: triage flaky tests"],
  recommendations: [
    { type: "process", content: "Quarantine flaky tests.", confidence: 0.6 },
    { type: "follow-up", content: "Review load test results.", confidence: 0.9 },
  ],
  links: [{ type: "doc", title: "Board", url: "https://connvo.example/boards/41" }],
  createdAt: NOW - 20 * HOUR,
  meetingTitle: "Sprint 41 retrospective",
  meetingDate: NOW - 21 * HOUR,
  ...over,
});

const summary = (loaded: InsightDoc | null, args: Record<string, unknown> = {}) =>
  render(getMeetingSummary, loaded, { meetingId: MEETING, ...args });

describe("size helpers (UTF-8 bytes bound o200k tokens)", () => {
  it("bytes are never fewer than tokens, for any script", () => {
    for (const text of [expensiveText(3000, 1), expensiveText(3000, 2, "ascii"), "日本語のテキスト😀".repeat(200)]) {
      expect(tokensOf(text)).toBeLessThanOrEqual(utf8Bytes(text));
    }
  });

  it("capBytes cuts at a code point and marks the cut", () => {
    expect(capBytes("short", 10)).toEqual({ text: "short", cut: false });
    const cut = capBytes("😀😀😀😀😀", 10);
    expect(cut.cut).toBe(true);
    expect(utf8Bytes(cut.text)).toBeLessThanOrEqual(10);
    expect(cut.text).toBe("😀…");
  });

  it("clip says when characters were left out, and only then", () => {
    expect(clip("abc", 3, 100)).toEqual({ text: "abc", cut: false });
    expect(clip("abcd", 3, 100).cut).toBe(true);
    expect(clip(42, 10, 100)).toEqual({ text: "", cut: false });
    expect(clip("line one\nline two", 100, 100, "prose").text).toBe("line one\nline two");
    expect(clip("line one\nline two", 100, 100, "label").text).toBe("line one line two");
  });

  it("fitToBudget returns the largest answer within the budget", () => {
    const make = (k: number) => ({ items: Array.from({ length: k }, () => "x".repeat(10)) });
    expect(fitToBudget(5, make, 1000).items).toHaveLength(5);
    const fitted = fitToBudget(500, make, 1000);
    expect(jsonBytes(fitted)).toBeLessThanOrEqual(1000);
    expect(jsonBytes(make(fitted.items.length + 1))).toBeGreaterThan(1000);
  });
});

describe("get_meeting_summary shape", () => {
  it("a generated summary: lists in full, recommendations by confidence, counts", () => {
    const { data, lead } = summary(doc());
    const d = data as SummaryData;
    expect(d.status).toBe("ready");
    expect(d.meeting).toEqual({ title: "Sprint 41 retrospective", date: new Date(NOW - 21 * HOUR).toISOString() });
    expect(d.recommendations.map((r) => r.confidence)).toEqual([0.9, 0.6]);
    expect(d.counts).toEqual({ actionItems: 2, recommendations: 2, links: 1 });
    expect(d.omitted).toEqual({ actionItems: 0, recommendations: 0, links: 0 });
    expect(lead).toMatch(/2 action items, 2 recommendations, 1 link\./);
  });

  it("null from Connvo is 'not generated yet', a successful answer with empty lists", () => {
    const { data, lead, result } = summary(null);
    expect(result.isError).toBeUndefined();
    expect((data as SummaryData).status).toBe("not_generated");
    expect((data as SummaryData).actionItems).toEqual([]);
    expect(lead).toMatch(/No summary has been generated yet for meeting j5789en0/);
    expect(lead).toMatch(/after the meeting ends/);
  });

  it("empty lists and an empty summary", () => {
    const { data, lead } = summary(doc({ summary: "", actionItems: [], recommendations: [], links: [] }));
    expect((data as SummaryData).summary).toBe("");
    expect(lead).toMatch(/0 action items, 0 recommendations, 0 links/);
  });

  it("only plain https links are kept; the others are counted", () => {
    const { data, lead } = summary(
      doc({
        links: [
          { type: "doc", title: "ok", url: "https://connvo.example/a" },
          { type: "x", title: "js", url: "javascript:alert(1)" },
          { type: "x", title: "http", url: "http://plain.example/" },
          { type: "x", title: "creds", url: "https://user:pw@evil.example/" },
        ],
      }),
    );
    expect((data as SummaryData).links.map((l) => l.url)).toEqual(["https://connvo.example/a"]);
    expect((data as SummaryData).unsafeLinks).toBe(3);
    expect(lead).toMatch(/3 links that are not plain https URLs were left out/);
  });

  it("limit and offset page through the lists and the lead says how to continue", () => {
    const many = doc({ actionItems: Array.from({ length: 25 }, (_, i) => `Item ${i + 1}`) });
    const first = summary(many);
    expect((first.data as SummaryData).actionItems).toHaveLength(10);
    expect((first.data as SummaryData).omitted.actionItems).toBe(15);
    expect(first.lead).toMatch(/pass offset 10 for the next ones/);
    const second = summary(many, { offset: 20 });
    expect((second.data as SummaryData).actionItems).toEqual(["Item 21", "Item 22", "Item 23", "Item 24", "Item 25"]);
    const past = summary(many, { offset: 100 });
    expect(past.lead).toMatch(/Offset 100 skips the first ones and is past the end of the lists/);
  });

  it("a long summary is cut at maxChars and says so", () => {
    const { data, lead } = summary(doc({ summary: "word ".repeat(2000) }));
    expect((data as SummaryData).summaryCut).toBe(true);
    expect([...((data as SummaryData).summary ?? "")].length).toBeLessThanOrEqual(2000);
    expect(lead).toMatch(/The summary was cut at \d+ characters; raise maxChars/);
    const longer = summary(doc({ summary: "word ".repeat(2000) }), { maxChars: 12_000 });
    expect((longer.data as SummaryData).summaryCut).toBeUndefined();
  });

  it("hostile text stays data: no new lines in the answer, no hidden characters, nothing in the lead", () => {
    const { data, text, lead } = summary(
      doc({
        summary: HOSTILE,
        meetingTitle: HOSTILE,
        actionItems: [HOSTILE],
        recommendations: [{ type: HOSTILE, content: HOSTILE, confidence: Number.NaN }],
        links: [{ type: HOSTILE, title: HOSTILE, url: "https://connvo.example/x" }],
      }),
    );
    expectThreeLines(text);
    expectNoHiddenOrBreaks(data);
    expect(lead).not.toMatch(/SYSTEM|ignore/i);
    expect((data as SummaryData).recommendations[0]?.confidence).toBe(0);
  });

  it("any size: the default answer stays under 4,000 tokens and the largest under 20,000", () => {
    const huge = (kind: "bmp" | "ascii") =>
      doc({
        summary: expensiveText(100_000, 3, kind),
        actionItems: expensivePieces(10_000, 400, kind),
        recommendations: expensivePieces(2_000, 400, kind).map((content, i) => ({
          type: "follow-up",
          content,
          confidence: (i % 100) / 100,
        })),
        links: expensivePieces(2_000, 200, kind).map((title, i) => ({
          type: "doc",
          title,
          url: `https://connvo.example/${"p".repeat(300)}/${i}`,
        })),
      });
    for (const kind of ["bmp", "ascii"] as const) {
      const small = summary(huge(kind));
      expect(small.tokens, kind).toBeLessThan(4_000);
      expect((small.data as SummaryData).omitted.actionItems).toBeGreaterThan(9_000);
      const large = summary(huge(kind), { limit: 100, maxChars: 12_000 });
      expect(large.tokens, kind).toBeLessThan(20_000);
      expect((large.data as SummaryData).actionItems.length).toBeGreaterThan(0);
    }
  });
});

const row = (i: number, over: Partial<InsightRow> = {}): InsightRow => ({
  _id: `jx7insight${String(i).padStart(22, "0")}`,
  meetingId: `j57meeting${String(i).padStart(22, "0")}`,
  summary: "s",
  actionItems: [`Action ${i}`],
  recommendations: [
    { type: "follow-up", content: `Follow up ${i}`, confidence: 0.7 },
    { type: "process", content: "not a follow-up", confidence: 0.9 },
  ],
  createdAt: NOW - i * 24 * HOUR,
  meetingTitle: `Meeting ${i}`,
  meetingDate: NOW - i * 24 * HOUR - HOUR,
  ...over,
});

const actions = (
  rows: InsightRow[],
  args: Record<string, unknown> = {},
  loaded: { unreadable?: number } = {},
): ReturnType<typeof render> & { d: ActionItemsData } => {
  const out = render(listActionItems, { rows, unreadable: loaded.unreadable ?? 0 }, args);
  return { ...out, d: out.data as ActionItemsData };
};

describe("list_action_items shape", () => {
  it("groups by meeting in Connvo's order (newest first), follow-ups from follow-up recommendations only", () => {
    const { d, lead } = actions([row(1), row(2)]);
    expect(d.meetings.map((m) => m.title)).toEqual(["Meeting 1", "Meeting 2"]);
    expect(d.meetings[0]).toMatchObject({ actionItems: ["Action 1"], followUps: ["Follow up 1"] });
    expect(d.counts).toEqual({ meetings: 2, actionItems: 2, followUps: 2 });
    expect(d.nextOffset).toBeUndefined();
    expect(lead).toMatch(/^2 action items and 2 follow-ups in 2 meetings, newest first/);
  });

  it("nothing at all, and meetings without items are counted, not listed", () => {
    expect(actions([]).lead).toMatch(/^No action items or follow-ups found/);
    const { d } = actions([row(1, { actionItems: [], recommendations: [] }), row(2)]);
    expect(d.meetings.map((m) => m.title)).toEqual(["Meeting 2"]);
    expect(d.withoutItems).toBe(1);
  });

  it("since keeps the meetings on or after it; a bad date is refused", () => {
    const since = new Date(NOW - 3 * 24 * HOUR).toISOString();
    const { d, lead } = actions([row(1), row(2), row(5)], { since });
    expect(d.meetings.map((m) => m.title)).toEqual(["Meeting 1", "Meeting 2"]);
    expect(d.olderThanSince).toBe(1);
    expect(lead).toContain(`since ${since}`);
    expect(() => actions([row(1)], { since: "last week" })).toThrow(ToolFailure);
  });

  it("limit and nextOffset: the next page starts after the last meeting shown", () => {
    const rows = Array.from({ length: 30 }, (_, i) => row(i + 1));
    const { d, lead } = actions(rows, { limit: 5, offset: 40 });
    expect(d.meetings).toHaveLength(5);
    expect(d.omitted).toBe(25);
    expect(d.nextOffset).toBe(45);
    expect(lead).toMatch(/Pass offset 45 or raise limit/);
  });

  it("a full page from Connvo means there may be more: nextOffset points past everything read", () => {
    const rows = Array.from({ length: 100 }, (_, i) =>
      row(i + 1, i < 98 ? { actionItems: [], recommendations: [] } : {}),
    );
    const { d, lead } = actions(rows);
    expect(d.meetings).toHaveLength(2);
    expect(d.nextOffset).toBe(100);
    expect(lead).toMatch(/more insights than the 100 read: pass offset 100/);
  });

  it("at most 20 items per meeting, counted", () => {
    const { d, lead } = actions([row(1, { actionItems: Array.from({ length: 30 }, (_, i) => `A${i}`) })]);
    expect(d.meetings[0]?.actionItems).toHaveLength(20);
    expect(d.meetings[0]?.followUps).toHaveLength(0);
    expect(d.meetings[0]?.omittedItems).toBe(11);
    expect(lead).toMatch(/11 items of the listed meetings are not shown/);
  });

  it("unreadable rows are counted in data and lead", () => {
    const { d, lead } = actions([row(1)], {}, { unreadable: 2 });
    expect(d.unreadable).toBe(2);
    expect(lead).toMatch(/2 insights from Connvo could not be read/);
  });

  it("hostile text stays data", () => {
    const { d, text, lead } = actions([
      row(1, {
        meetingTitle: HOSTILE,
        actionItems: [HOSTILE],
        recommendations: [{ type: "follow-up", content: HOSTILE, confidence: 1 }],
      }),
    ]);
    expectThreeLines(text);
    expectNoHiddenOrBreaks(d);
    expect(lead).not.toMatch(/SYSTEM|ignore/i);
  });

  it("1,000 insights with long, token-expensive items: under 4,000 tokens by default, under 20,000 at most", () => {
    for (const kind of ["bmp", "ascii"] as const) {
      const titles = expensivePieces(1_000, 300, kind);
      const items = expensivePieces(40, 500, kind);
      const rows = Array.from({ length: 1_000 }, (_, i) =>
        row(i + 1, {
          meetingTitle: titles[i] as string,
          actionItems: items,
          recommendations: [{ type: "follow-up", content: items[i % 40] as string, confidence: 0.5 }],
        }),
      );
      const small = actions(rows);
      expect(small.tokens, kind).toBeLessThan(4_000);
      expect(small.d.meetings.length).toBeGreaterThan(0);
      expect(small.d.nextOffset).toBe(small.d.meetings.length);
      const large = actions(rows, { limit: 50 });
      expect(large.tokens, kind).toBeLessThan(20_000);
      expect(large.d.omitted + large.d.meetings.length).toBe(1_000);
    }
  });
});
