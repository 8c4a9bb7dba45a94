/**
 * get_meeting_notes and add_meeting_note end to end: real MCP clients over stdio and over
 * Streamable HTTP, the bundled server, the demo deployment. Reading (with Connvo's "rate limited"
 * answer), bounds at 12,000-character notes, each error class, and the write: absent unless writes
 * are enabled, sent exactly once (counted by the deployment), a concurrent edit handled by one
 * re-read and retry, and a second conflict a clear failure with nothing written.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoDeployment, startDemoDeployment } from "../../src/demo/deployment.js";
import type { DemoNotes } from "../../src/demo/world/index.js";
import { expectToolError, resultText } from "../helpers/results.js";
import { tokensOf } from "../helpers/tokens.js";
import { dataOf, startToolkit, type Toolkit } from "../helpers/toolkit.js";

const NOTES = "realtime/subscriptions:subscribeMeetingNotes";
const APPLY = "notes/mutations:applyNoteOperation";

interface Notes {
  meetingId: string;
  version: number;
  lastUpdated?: string;
  totalChars: number;
  fromChar: number;
  toChar: number;
  content: string;
  truncated: boolean;
  omittedChars: number;
  nextFromChar?: number;
}

interface Added {
  newVersion: number;
  previousVersion: number;
  position: number;
  appendedChars: number;
  notesChars: number;
  retriedAfterConflict: boolean;
}

describe.each(["stdio", "http"] as const)("meeting notes over %s", (via) => {
  let demo: DemoDeployment;
  let reads: Toolkit;
  let writes: Toolkit;
  beforeAll(async () => {
    demo = await startDemoDeployment({ largeNotesChars: 12_000 });
    [reads, writes] = await Promise.all([
      startToolkit(via, { deployment: demo }),
      startToolkit(via, { deployment: demo, selection: { enableWrites: true } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([reads?.close(), writes?.close()]);
    await demo?.close();
  });

  const notesOf = (name: string) => demo.world.byName[name]?.notes as DemoNotes;
  /** What subscribeMeetingNotes answered before someone else wrote: the notes as they were. */
  const staleRead = (name: string) => {
    const notes = notesOf(name);
    return {
      content: notes.content,
      version: notes.version,
      lastUpdated: notes.lastUpdated,
      subscriptionValid: true,
      permissions: ["read", "write", "manage", "export"],
      cursor: `${notes.version}_${notes.lastUpdated}`,
      rateLimited: false,
    };
  };
  /** Someone else appends to the notes (as Connvo's applyNoteOperation would). */
  const otherWriter = (name: string, text: string) => {
    const notes = notesOf(name);
    notes.content += text;
    notes.version += 1;
    notes.lastUpdated = Date.now();
  };

  it("reads the live meeting's notes with their version and last update", async () => {
    const result = await reads.call("get_meeting_notes", { meetingId: demo.meetings.healthy });
    const data = dataOf<Notes>(result);
    expect(data.content).toMatch(/Acme wants the renewal proposal by Friday/);
    expect(data.version).toBeGreaterThanOrEqual(7);
    expect(data.lastUpdated).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(data.truncated).toBe(false);
    expect(resultText(result)).toMatch(/^Notes of meeting \w+ as of [\dT:.Z-]+: version \d+/);
  });

  it("Connvo's 'rate limited' answer is reported as rate limiting, never as empty notes", async () => {
    const meetingId = demo.meetings.retro;
    const limited = {
      content: "",
      version: 0,
      lastUpdated: Date.now(),
      subscriptionValid: true,
      permissions: ["read", "write"],
      cursor: "",
      rateLimited: true,
    };
    demo.injectFault({ kind: "value", functionPath: NOTES, meetingId, value: limited });
    try {
      const result = await reads.call("get_meeting_notes", { meetingId });
      expectToolError(result, /Connvo is rate limiting requests right now/);
      expect(resultText(result)).not.toMatch(/no notes/);
    } finally {
      demo.clearFaults();
    }
    // Limited once: the re-read answers.
    demo.resetStats();
    demo.injectFault({ kind: "value", functionPath: NOTES, meetingId, value: limited, times: 1 });
    const data = dataOf<Notes>(await reads.call("get_meeting_notes", { meetingId }));
    expect(data.content).toMatch(/Release moves to Thursday/);
    expect(demo.stats.byFunction[NOTES]).toBe(2);
  });

  it("12,000-character notes: bounded by maxChars and tokens, fromChar reads on to the end", async () => {
    const meetingId = demo.meetings.large;
    const first = await reads.call("get_meeting_notes", { meetingId });
    const page = dataOf<Notes>(first);
    expect(page.totalChars).toBe(12_000);
    expect(page.truncated).toBe(true);
    expect(page.omittedChars).toBe(12_000 - page.toChar);
    expect(tokensOf(resultText(first))).toBeLessThan(4000);
    expect(resultText(first)).toMatch(/call get_meeting_notes again with fromChar set to \d+/);
    let last = page;
    for (let i = 0; i < 5 && last.truncated; i++) {
      const next = dataOf<Notes>(await reads.call("get_meeting_notes", { meetingId, fromChar: last.nextFromChar }));
      expect(next.fromChar).toBe(last.toChar);
      last = next;
    }
    expect(last).toMatchObject({ toChar: 12_000, truncated: false, omittedChars: 0 });
    const largest = await reads.call("get_meeting_notes", { meetingId, maxChars: 20_000 });
    expect(dataOf<Notes>(largest)).toMatchObject({ toChar: 12_000, truncated: false });
    expect(tokensOf(resultText(largest))).toBeLessThan(20_000);
  });

  it("each read error class", async () => {
    demo.resetStats();
    expectToolError(
      await reads.call("get_meeting_notes", { meetingId: "nope" }),
      /meetingId is not a Connvo meeting ID/,
    );
    expect(demo.stats.queryRequests).toBe(0);
    expectToolError(
      await reads.call("get_meeting_notes", { meetingId: demo.meetings.forbidden }),
      /not a participant of meeting/,
    );
    const live = dataOf<Notes>(await reads.call("get_meeting_notes", { meetingId: demo.meetings.weeklySync }));
    expect(live.totalChars).toBeGreaterThan(0);
  });

  it("add_meeting_note is absent unless writes are enabled", async () => {
    const readNames = (await reads.client.listTools()).tools.map((t) => t.name);
    const writeNames = (await writes.client.listTools()).tools.map((t) => t.name);
    expect(readNames).toContain("get_meeting_notes");
    expect(readNames).not.toContain("add_meeting_note");
    expect(writeNames).toContain("add_meeting_note");
    const tool = (await writes.client.listTools()).tools.find((t) => t.name === "add_meeting_note");
    expect(tool?.annotations).toMatchObject({ readOnlyHint: false, idempotentHint: false });
    demo.resetStats();
    const refused = await reads
      .call("add_meeting_note", { meetingId: demo.meetings.healthy, text: "should not land" })
      .then(
        (r) => (r.isError ? "error" : "written"),
        () => "error",
      );
    expect(refused).toBe("error");
    expect(demo.stats.byFunction[APPLY]).toBeUndefined();
  });

  it("appends at the end, sent exactly once, and the next read shows it", async () => {
    const meetingId = demo.meetings.healthy;
    const before = notesOf("healthy").content;
    const version = notesOf("healthy").version;
    demo.resetStats();
    const result = await writes.call("add_meeting_note", {
      meetingId,
      text: "Decision: ship the onboarding redesign behind a flag next Tuesday.",
    });
    const data = dataOf<Added>(result);
    expect(data).toMatchObject({
      previousVersion: version,
      newVersion: version + 1,
      position: before.length,
      retriedAfterConflict: false,
    });
    expect(demo.stats.byFunction[APPLY]).toBe(1);
    expect(notesOf("healthy").content).toBe(
      `${before}${before.endsWith("\n") ? "" : "\n"}Decision: ship the onboarding redesign behind a flag next Tuesday.\n`,
    );
    expect(resultText(result)).toMatch(
      /^Added \d+ characters at the end of the notes of meeting \w+ \(position \d+\); the notes are now version \d+\./,
    );
    const read = dataOf<Notes>(await reads.call("get_meeting_notes", { meetingId }));
    expect(read.content).toMatch(/Decision: ship the onboarding redesign behind a flag next Tuesday\.$/);
    expect(read.version).toBe(version + 1);
  });

  it("someone else edits between read and write: one re-read, one retry, both texts kept", async () => {
    const meetingId = demo.meetings.retro;
    const stale = staleRead("retro");
    demo.injectFault({ kind: "value", functionPath: NOTES, meetingId, value: stale, times: 1 });
    otherWriter("retro", "- Lena: Acme asked about SSO again\n");
    demo.resetStats();
    const data = dataOf<Added>(
      await writes.call("add_meeting_note", { meetingId, text: "- Alex: confirm the Thursday release with support" }),
    );
    expect(data).toMatchObject({
      retriedAfterConflict: true,
      previousVersion: stale.version + 1,
      newVersion: stale.version + 2,
    });
    expect(demo.stats.byFunction[APPLY]).toBe(2);
    expect(demo.stats.byFunction[NOTES]).toBe(2);
    expect(
      notesOf("retro").content.endsWith(
        "- Lena: Acme asked about SSO again\n- Alex: confirm the Thursday release with support\n",
      ),
    ).toBe(true);
  });

  it("a conflict twice in a row is a clear failure, with nothing written", async () => {
    const meetingId = demo.meetings.retro;
    const stale = staleRead("retro");
    demo.injectFault({ kind: "value", functionPath: NOTES, meetingId, value: stale, times: 2 });
    otherWriter("retro", "- someone else\n");
    const after = notesOf("retro").content;
    demo.resetStats();
    expectToolError(
      await writes.call("add_meeting_note", { meetingId, text: "never lands" }),
      /changed by someone else at the same moment, twice in a row.*Nothing was written/,
    );
    expect(demo.stats.byFunction[APPLY]).toBe(2);
    expect(notesOf("retro").content).toBe(after);
  });

  it("a write that fails is not repeated, and bad input sends nothing", async () => {
    const meetingId = demo.meetings.healthy;
    const before = notesOf("healthy").content;
    demo.resetStats();
    demo.injectFault({ kind: "status", status: 503, functionPath: APPLY, times: 1 });
    const failed = await writes.call("add_meeting_note", { meetingId, text: "sent once" });
    expect(failed.isError).toBe(true);
    expect(demo.stats.byFunction[APPLY]).toBe(1);
    expect(notesOf("healthy").content).toBe(before);
    demo.resetStats();
    expectToolError(
      await writes.call("add_meeting_note", { meetingId, text: " \n\u0000 " }),
      /^text: has nothing to add/,
    );
    expectToolError(
      await writes.call("add_meeting_note", { meetingId: "x", text: "hi" }),
      /meetingId is not a Connvo meeting ID/,
    );
    expect(demo.stats.queryRequests).toBe(0);
    expectToolError(
      await writes.call("add_meeting_note", { meetingId: demo.meetings.forbidden, text: "hi" }),
      /not a participant of meeting/,
    );
    expect(demo.stats.byFunction[APPLY]).toBeUndefined();
  });
});
