/**
 * The prompts tools' pure parts with hand-made data: get_prompts' order (unused first, then by
 * relevance), counts, paging, the phase it reports, hostile text and sizes in o200k tokens; and
 * rate_prompt's answer and declared behaviour.
 */
import { describe, expect, it } from "vitest";
import { getPrompts, type LoadedPrompts, type PromptRow, type PromptsData } from "../../src/tools/getPrompts.js";
import { ratePrompt } from "../../src/tools/ratePrompt.js";
import { expectNoHiddenOrBreaks, expectThreeLines, expensivePieces, HOSTILE, NOW, render } from "./shapeHelpers.js";

const MEETING = "j57a1ew0pgfwakvjk487vpaq8wrcf9sq";
const MIN = 60_000;

const prompt = (i: number, over: Partial<PromptRow> = {}): PromptRow => ({
  _id: `jx7prompt${String(i).padStart(23, "0")}`,
  content: `Prompt ${i}`,
  tags: ["prep"],
  relevance: 0.5,
  createdAt: NOW - i * MIN,
  ...over,
});

const loaded = (rows: PromptRow[], over: Partial<LoadedPrompts> = {}): LoadedPrompts => ({
  rows,
  unreadable: 0,
  phase: "incall",
  phaseFrom: "meeting_live",
  meetingState: "active",
  ...over,
});

const prompts = (l: LoadedPrompts, args: Record<string, unknown> = {}) => {
  const out = render(getPrompts, l, { meetingId: MEETING, ...args });
  return { ...out, d: out.data as PromptsData };
};

describe("get_prompts shape", () => {
  it("unused first (new and upvoted by relevance), then used, then dismissed; counts per status", () => {
    const { d, lead } = prompts(
      loaded([
        prompt(1, { relevance: 0.99, feedback: "dismissed" }),
        prompt(2, { relevance: 0.95, feedback: "used", usedAt: NOW - MIN }),
        prompt(3, { relevance: 0.4 }),
        prompt(4, { relevance: 0.8, feedback: "upvoted" }),
        prompt(5, { relevance: 0.6, usedAt: NOW - 2 * MIN }),
      ]),
    );
    expect(d.prompts.map((p) => [p.text, p.status])).toEqual([
      ["Prompt 4", "upvoted"],
      ["Prompt 3", "new"],
      ["Prompt 2", "used"],
      ["Prompt 5", "used"],
      ["Prompt 1", "dismissed"],
    ]);
    expect(d.counts).toEqual({ prompts: 5, new: 1, upvoted: 1, used: 2, dismissed: 1 });
    expect(d.prompts[2]?.usedAt).toBe(new Date(NOW - MIN).toISOString());
    expect(lead).toMatch(/has 5 incall prompts \(phase auto: the meeting is live\)/);
    expect(lead).toMatch(/1 new, 1 upvoted, 2 used, 1 dismissed/);
    expect(lead).toMatch(/For the other phase, pass phase precall/);
  });

  it("the phase as asked, or picked from a meeting that is not live", () => {
    const asked = prompts(loaded([prompt(1)], { phase: "precall", phaseFrom: "asked", meetingState: undefined }));
    expect(asked.d).toMatchObject({ phase: "precall", phaseFrom: "asked" });
    expect(asked.d.meetingState).toBeUndefined();
    expect(asked.lead).not.toMatch(/phase auto|other phase/);
    const ended = prompts(loaded([], { phase: "precall", phaseFrom: "meeting_not_live", meetingState: "concluded" }));
    expect(ended.d.meetingState).toBe("ended");
    expect(ended.lead).toMatch(/has no precall prompts \(phase auto: the meeting is ended\)/);
  });

  it("relevance is clamped to 0-1 and rounded; ties are newest first", () => {
    const { d } = prompts(
      loaded([
        prompt(1, { relevance: 7 }),
        prompt(2, { relevance: -1 }),
        prompt(3, { relevance: 0.123456 }),
        prompt(4, { relevance: Number.NaN }),
      ]),
    );
    expect(d.prompts.map((p) => p.relevance)).toEqual([1, 0.12, 0, 0]);
    expect(d.prompts.slice(2).map((p) => p.text)).toEqual(["Prompt 2", "Prompt 4"]);
  });

  it("limit and offset page through the order, and the lead says how to continue", () => {
    const rows = Array.from({ length: 25 }, (_, i) => prompt(i + 1, { relevance: 1 - i / 100 }));
    const first = prompts(loaded(rows));
    expect(first.d.prompts).toHaveLength(10);
    expect(first.d.omitted).toBe(15);
    expect(first.lead).toMatch(/15 more after these: raise limit \(up to 50\) or pass offset 10\./);
    const last = prompts(loaded(rows), { offset: 20 });
    expect(last.d.prompts.map((p) => p.text)).toEqual([
      "Prompt 21",
      "Prompt 22",
      "Prompt 23",
      "Prompt 24",
      "Prompt 25",
    ]);
    expect(last.lead).toMatch(/Offset 20 skips the first 20\./);
    expect(prompts(loaded(rows), { offset: 50 }).lead).toMatch(/past the last prompt/);
  });

  it("unreadable rows and Connvo's maximum are said", () => {
    const rows = Array.from({ length: 48 }, (_, i) => prompt(i + 1));
    const { d, lead } = prompts(loaded(rows, { unreadable: 2 }));
    expect(d).toMatchObject({ unreadable: 2, mayHaveMore: true });
    expect(lead).toMatch(/2 prompts from Connvo could not be read/);
    expect(lead).toMatch(/Connvo returned its maximum of 50 prompts/);
  });

  it("hostile text and tags stay data; at most 5 tags", () => {
    const { d, text, lead } = prompts(loaded([prompt(1, { content: HOSTILE, tags: Array(9).fill(HOSTILE) })]));
    expectThreeLines(text);
    expectNoHiddenOrBreaks(d);
    expect(d.prompts[0]?.tags).toHaveLength(5);
    expect(lead).not.toMatch(/SYSTEM|ignore/i);
  });

  it("1,000 long, token-expensive prompts: under 4,000 tokens by default, under 20,000 at most", () => {
    for (const kind of ["bmp", "ascii"] as const) {
      const texts = expensivePieces(1_000, 2_000, kind);
      const rows = texts.map((content, i) => prompt(i + 1, { content, tags: expensivePieces(10, 100, kind) }));
      const small = prompts(loaded(rows));
      expect(small.tokens, kind).toBeLessThan(4_000);
      expect(small.d.prompts.length).toBeGreaterThan(0);
      expect(small.d.omitted).toBe(1_000 - small.d.prompts.length);
      const large = prompts(loaded(rows), { limit: 50 });
      expect(large.tokens, kind).toBeLessThan(20_000);
      expect(large.d.prompts.length).toBeGreaterThan(small.d.prompts.length);
    }
  });
});

describe("rate_prompt", () => {
  it("answers the feedback recorded, with the ID, in fixed words", () => {
    const { data, lead } = render(ratePrompt, null, { promptId: "jx736v3a4eydz4s1hzmxrpxs4px7j81n", feedback: "used" });
    expect(data).toMatchObject({ promptId: "jx736v3a4eydz4s1hzmxrpxs4px7j81n", feedback: "used", recorded: true });
    expect(lead).toMatch(/^Recorded "used" for prompt jx736v3a4eydz4s1hzmxrpxs4px7j81n as of /);
  });

  it("is a write: not read-only, idempotent (the same feedback twice is harmless), only the three values", () => {
    expect(ratePrompt.write).toBe(true);
    expect(ratePrompt.annotations).toMatchObject({ readOnlyHint: false, idempotentHint: true, destructiveHint: false });
    expect(() => ratePrompt.inputSchema.parse({ promptId: "x", feedback: "loved" })).toThrow();
    expect(ratePrompt.idArgs).toEqual({ promptId: "prompts" });
  });
});
