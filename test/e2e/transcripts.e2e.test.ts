/**
 * get_transcript end to end: a real MCP client over stdio and over Streamable HTTP, the bundled
 * server, the demo deployment speaking Convex's wire protocol (whose getTranscriptChunks, like
 * Connvo's, answers nothing for a past meeting unless asked bucket by bucket). The last 5 minutes
 * of the live meeting, paging a past meeting through its whole span, each error class, retries of
 * the read-only mutations, and bounds at a 5,000-line transcript.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectToolError, resultText } from "../helpers/results.js";
import { tokensOf } from "../helpers/tokens.js";
import { dataOf, startToolkit, type Toolkit } from "../helpers/toolkit.js";

const CHUNKS = "transcripts/ingestion:getTranscriptChunks";
const STATS = "transcripts/ingestion:getTranscriptStats";

interface Transcript {
  meeting: { meetingId: string; title: string; state: string };
  range: { from: string; to: string; fromSec: number; toSec: number };
  speakers: { speakerId: string; name: string }[];
  lines: { at: string; speaker: string; text: string }[];
  counts: { lines: number; chunks: number; shortened: number };
  totals: { chunks: number; words: number; minutes: number; speakers: number };
  truncated: boolean;
  omittedChunks: number;
  omittedExact: boolean;
  nextCursor?: string;
}

const seconds = (at: string) => at.split(":").reduce((sum, part) => sum * 60 + Number(part), 0);

describe.each(["stdio", "http"] as const)("get_transcript over %s", (via) => {
  let kit: Toolkit;
  beforeAll(async () => {
    kit = await startToolkit(via, { demo: { largeTranscriptLines: 5000 } });
  });
  afterAll(() => kit.close());

  const transcript = async (args: Record<string, unknown>) => {
    const result = await kit.call("get_transcript", args);
    return { data: dataOf<Transcript>(result), text: resultText(result) };
  };

  it("the last 5 minutes of the live meeting: the decision, by name, and nothing older", async () => {
    const { data, text } = await transcript({ meetingId: kit.demo.meetings.healthy, lastMinutes: 5 });
    expect(data.meeting).toMatchObject({ title: "Weekly product sync", state: "live" });
    expect(data.lines).toContainEqual({
      at: "11:40",
      speaker: "Alex Morgan",
      text: "Decision: we ship the onboarding redesign behind a feature flag next Tuesday.",
    });
    expect(data.lines.every((l) => seconds(l.at) >= 600)).toBe(true);
    expect(text).not.toMatch(/4\.1 seconds|Support tickets/);
    expect(data.truncated).toBe(false);
    expect(text).toMatch(
      /^Transcript of meeting \w+ \(live\) from 1\d:\d\d to 1\d:\d\d after the meeting's start: \d+ lines/,
    );
  });

  it("the whole live meeting by default: names from the roster, one speaker's consecutive lines merged", async () => {
    const { data } = await transcript({ meetingId: kit.demo.meetings.healthy });
    expect(data.counts.chunks).toBe(15);
    expect(data.totals.chunks).toBe(15);
    expect(data.lines).toHaveLength(13); // Priya's and Sofía's two consecutive chunks become one line each
    expect(data.lines[1]).toEqual({
      at: "01:10",
      speaker: "Priya Raman",
      text: "Quick update on media: the join-time fix is in staging. Median join time dropped from 4.1 seconds to 1.8 seconds.",
    });
    expect(new Set(data.speakers.map((s) => s.name))).toEqual(
      new Set(["Alex Morgan", "Priya Raman", "Marcus Chen", "Lena Fischer", "Sofía Hernández"]),
    );
  });

  it("pages a meeting that ended yesterday through its whole span, each chunk exactly once", async () => {
    kit.demo.resetStats();
    const pages: Transcript[] = [];
    let cursor: string | undefined;
    do {
      const { data } = await transcript({
        meetingId: kit.demo.meetings.retro,
        maxLines: 40,
        ...(cursor ? { cursor } : {}),
      });
      pages.push(data);
      cursor = data.nextCursor;
      expect(data.truncated).toBe(cursor !== undefined);
    } while (cursor && pages.length < 20);
    const lines = pages.flatMap((p) => p.lines);
    const chunks = pages.reduce((sum, p) => sum + p.counts.chunks, 0);
    expect(chunks).toBe(160);
    expect(pages[0]?.totals.chunks).toBe(160);
    expect(pages.length).toBeGreaterThanOrEqual(4);
    // Counts of what is left are exact for the whole meeting, and go down page by page.
    let left = 160;
    for (const page of pages) {
      left -= page.counts.chunks;
      expect(page.omittedChunks).toBe(left);
      expect(page.omittedExact).toBe(true);
    }
    expect(lines[0]).toMatchObject({ at: "00:30", speaker: "Alex Morgan" });
    expect(lines).toContainEqual(
      expect.objectContaining({
        at: "40:00",
        text: "We decided to move the release to Thursday so the load tests can land first.",
      }),
    );
    expect(lines.at(-1)).toMatchObject({ at: "45:00", text: "Thanks everyone, good sprint." });
    const times = lines.map((l) => seconds(l.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // Reads are mutations in Connvo's code, sent to the mutation endpoint and bounded per page.
    expect(kit.demo.stats.byFunction[CHUNKS]).toBeLessThanOrEqual(pages.length * 12);
    expect(kit.demo.stats.byFunction[STATS]).toBe(pages.length);
  });

  it("a range in seconds from the start", async () => {
    const { data } = await transcript({ meetingId: kit.demo.meetings.retro, fromSec: 2400, toSec: 2600 });
    expect(data.range).toMatchObject({ from: "40:00", to: "43:20", fromSec: 2400, toSec: 2600 });
    expect(data.lines[0]).toMatchObject({ at: "40:00", speaker: "Alex Morgan" });
    expect(data.lines.every((l) => seconds(l.at) >= 2400 && seconds(l.at) < 2600)).toBe(true);
    expect(data.truncated).toBe(false);
  });

  it("each error class, checked before any request where it can be, and the server keeps serving", async () => {
    const retro = kit.demo.meetings.retro;
    kit.demo.resetStats();
    expectToolError(
      await kit.call("get_transcript", { meetingId: "not-an-id" }),
      /meetingId is not a Connvo meeting ID/,
    );
    expectToolError(
      await kit.call("get_transcript", { meetingId: retro, cursor: "eyJ2IjoxfQ.0000000aaaaaaa" }),
      /^cursor: is not a cursor connvo-mcp gave out/,
    );
    expectToolError(
      await kit.call("get_transcript", { meetingId: retro, lastMinutes: 5, fromSec: 10 }),
      /^lastMinutes: cannot be combined with fromSec\/toSec/,
    );
    expect(kit.demo.stats.queryRequests).toBe(0);
    // A real cursor of the retro, used with another meeting, or edited.
    const first = (await transcript({ meetingId: retro, maxLines: 10 })).data;
    const cursor = first.nextCursor as string;
    expectToolError(
      await kit.call("get_transcript", { meetingId: kit.demo.meetings.healthy, cursor }),
      /^cursor: belongs to another meeting/,
    );
    const edited = `${cursor.slice(0, 10)}${cursor[10] === "A" ? "B" : "A"}${cursor.slice(11)}`;
    expectToolError(
      await kit.call("get_transcript", { meetingId: retro, cursor: edited }),
      /is not a cursor connvo-mcp gave out/,
    );
    expectToolError(
      await kit.call("get_transcript", { meetingId: retro, cursor, lastMinutes: 5 }),
      /cursor: continues the range/,
    );
    expectToolError(
      await kit.call("get_transcript", { meetingId: kit.demo.meetings.forbidden }),
      /not a participant of meeting/,
    );
    kit.demo.injectFault({ kind: "value", functionPath: "meetings/queries:getMeeting", value: null, times: 1 });
    expectToolError(await kit.call("get_transcript", { meetingId: retro }), /No meeting \w+ exists/);
    // The cursor still works after all that.
    const second = (await transcript({ meetingId: retro, maxLines: 10, cursor })).data;
    expect(second.lines[0]?.at).not.toBe(first.lines[0]?.at);
  });

  it("Connvo's rate limit: the read-only mutations are retried like reads, then the limit is reported", async () => {
    const meetingId = kit.demo.meetings.healthy;
    kit.demo.resetStats();
    kit.demo.injectFault({ kind: "status", status: 503, functionPath: CHUNKS, times: 1 });
    const { data } = await transcript({ meetingId, lastMinutes: 5 });
    expect(data.lines.length).toBeGreaterThan(0);
    const once = kit.demo.stats.byFunction[CHUNKS] ?? 0;
    expect(once).toBeGreaterThanOrEqual(2); // the failed one and its retry
    kit.demo.injectFault({
      kind: "convexError",
      functionPath: CHUNKS,
      code: "RATE_LIMIT_EXCEEDED",
      message: "Rate limit exceeded for transcriptRead",
      data: { retryAfter: 1000 },
    });
    try {
      expectToolError(
        await kit.call("get_transcript", { meetingId, lastMinutes: 5 }),
        /Connvo is rate limiting requests/,
      );
    } finally {
      kit.demo.clearFaults();
    }
    dataOf(await kit.call("get_transcript", { meetingId, lastMinutes: 5 }));
  });

  it("a 5,000-line transcript: the default answer under 4,000 tokens, the largest under 20,000, the rest counted", async () => {
    const meetingId = kit.demo.meetings.large;
    const small = await transcript({ meetingId });
    expect(small.data.totals.chunks).toBe(5000);
    expect(small.data.truncated).toBe(true);
    expect(small.data.omittedChunks).toBe(5000 - small.data.counts.chunks);
    expect(small.text).toMatch(
      /more chunks in this range follow: call get_transcript again with the same meetingId and cursor/,
    );
    expect(tokensOf(small.text)).toBeLessThan(4000);
    const large = await transcript({ meetingId, maxLines: 500 });
    expect(large.data.counts.chunks).toBeGreaterThan(small.data.counts.chunks);
    expect(tokensOf(large.text)).toBeLessThan(20_000);
    const recent = await transcript({ meetingId, lastMinutes: 30 });
    expect(tokensOf(recent.text)).toBeLessThan(4000);
    expect(recent.data.omittedChunks).toBeGreaterThan(1000);
    // The cursor moves on from where the page stopped.
    const next = await transcript({ meetingId, cursor: small.data.nextCursor });
    expect(next.data.omittedChunks).toBe(5000 - small.data.counts.chunks - next.data.counts.chunks);
  });
});
