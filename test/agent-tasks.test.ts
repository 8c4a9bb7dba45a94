/**
 * The questions a meeting assistant is asked, answered the way an agent would: from tool outputs
 * alone, starting from nothing but the tool list. Each task finds the IDs it needs in earlier
 * answers (never from the demo's internals) and asserts the facts in the final answer's text,
 * which is what the model reads. Real MCP client, real stdio server, the demo deployment.
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultText } from "./helpers/results.js";
import { dataOf, startToolkit, type Toolkit } from "./helpers/toolkit.js";

interface Listed {
  meetings: { meetingId: string; title: string; state: string; start?: string }[];
}

let kit: Toolkit;
beforeAll(async () => {
  kit = await startToolkit("stdio");
});
afterAll(() => kit.close());

async function ask(name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> {
  return kit.call(name, args);
}

/** The meeting an agent would pick from list_meetings by words of its title. */
async function findMeeting(words: string, when = "all"): Promise<string> {
  const listed = dataOf<Listed>(await ask("list_meetings", { when, query: words }));
  const first = listed.meetings[0];
  if (!first) throw new Error(`list_meetings found no meeting for "${words}"`);
  return first.meetingId;
}

/** Every userId an answer's data mentions under a "people"-like list. */
function userIdsIn(value: unknown): string[] {
  const found = new Set<string>();
  const visit = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === "object") {
      for (const [key, item] of Object.entries(node)) {
        if (key === "userId" && typeof item === "string") found.add(item);
        else visit(item);
      }
    }
  };
  visit(value);
  return [...found];
}

describe("a meeting assistant's questions, answered from tool outputs alone", () => {
  it("what's on my calendar today?", async () => {
    const text = resultText(await ask("list_meetings", { when: "today" }));
    expect(text).toContain("Weekly product sync");
    expect(text).toContain("Design critique: mobile onboarding");
    expect(text).toContain("Acme Corp renewal call");
    expect(text).not.toContain("Q1 roadmap planning"); // tomorrow
  });

  it("who hasn't joined the live meeting yet?", async () => {
    const listed = dataOf<Listed>(await ask("list_meetings", { when: "live" }));
    const sync = listed.meetings[0];
    expect(sync?.title).toBe("Weekly product sync");
    const roster = dataOf<{ people: { name: string; flags?: string[] }[] }>(
      await ask("get_meeting", { meetingId: sync?.meetingId }),
    );
    const notJoined = roster.people.filter((p) => p.flags?.includes("invited_not_joined")).map((p) => p.name);
    expect(notJoined).toEqual(["Jonas Lindqvist"]);
  });

  it("who left the sync early?", async () => {
    const roster = dataOf<{ people: { name: string; flags?: string[] }[] }>(
      await ask("get_meeting", { meetingId: await findMeeting("weekly product sync", "live") }),
    );
    expect(roster.people.filter((p) => p.flags?.includes("left_early")).map((p) => p.name)).toEqual(["Lena Fischer"]);
  });

  it("does anyone have a bad connection in the Acme onboarding call?", async () => {
    const text = resultText(
      await ask("get_active_sessions", { meetingId: await findMeeting("onboarding acme", "live") }),
    );
    expect(text).toMatch(/"name":"Babatunde Okafor"[^}]*"quality":"poor"/);
  });

  it("is anyone stuck connecting in sprint planning?", async () => {
    const text = resultText(
      await ask("get_active_sessions", { meetingId: await findMeeting("sprint planning", "live") }),
    );
    expect(text).toMatch(/"name":"Aisha Bello"[^}]*"status":"connecting"/);
  });

  it("what was said in the last 5 minutes of the live meeting?", async () => {
    const text = resultText(
      await ask("get_transcript", { meetingId: await findMeeting("weekly product sync", "live"), lastMinutes: 5 }),
    );
    expect(text).toMatch(/feature flag next Tuesday/);
    expect(text).toContain("Alex Morgan");
    expect(text).not.toMatch(/4\.1 seconds/); // said ten minutes earlier
  });

  it("who said join time dropped, and to what?", async () => {
    const text = resultText(
      await ask("get_transcript", { meetingId: await findMeeting("weekly product sync", "live") }),
    );
    expect(text).toMatch(/Priya Raman[^\n]*1\.8 seconds|1\.8 seconds[^\n]*Priya Raman/);
  });

  it("what did we decide yesterday?", async () => {
    const past = dataOf<Listed>(await ask("list_meetings", { when: "past", limit: 1 }));
    expect(past.meetings[0]?.title).toBe("Sprint 41 retrospective");
    const text = resultText(await ask("get_meeting_summary", { meetingId: past.meetings[0]?.meetingId }));
    expect(text).toMatch(/move the release to Thursday/);
  });

  it("what did Aisha commit to in the retro? (paging a past meeting's transcript)", async () => {
    const text = resultText(
      await ask("get_transcript", { meetingId: await findMeeting("retrospective", "past"), maxLines: 500 }),
    );
    expect(text).toMatch(/triage the flaky end-to-end tests by Wednesday/);
    expect(text).toMatch(/move the release to Thursday/); // 40 minutes in: the whole span was read
  });

  it("what are my action items?", async () => {
    const text = resultText(await ask("list_action_items"));
    expect(text).toMatch(/tell support about the new release date/i);
    expect(text).toMatch(/security questionnaire/);
    // Newest meeting first: yesterday's retro before the Globex interview three days ago.
    expect(text.indexOf("Sprint 41 retrospective")).toBeLessThan(text.indexOf("Customer interview: Globex"));
  });

  it("is there a summary of the live meeting yet?", async () => {
    const text = resultText(
      await ask("get_meeting_summary", { meetingId: await findMeeting("weekly product sync", "live") }),
    );
    expect(text).toMatch(/no summary has been generated yet/i);
  });

  it("brief me on the people in my next meeting", async () => {
    const upcoming = dataOf<Listed>(await ask("list_meetings", { when: "upcoming", limit: 1 }));
    expect(upcoming.meetings[0]?.title).toBe("Design critique: mobile onboarding");
    const roster = (await ask("get_meeting", { meetingId: upcoming.meetings[0]?.meetingId })).structuredContent;
    const briefs: string[] = [];
    for (const userId of userIdsIn((roster as { people: unknown }).people)) {
      briefs.push(resultText(await ask("get_person", { userId })));
    }
    const all = briefs.join("\n");
    expect(all).toContain("Design Lead"); // Grace
    expect(all).toContain("iOS Engineer"); // Mateo
    expect(all).toContain("UX Researcher"); // Yuki
    expect(all).not.toMatch(/@example\.com/); // never other people's email addresses
  });

  it("what should I ask in the design critique?", async () => {
    const text = resultText(await ask("get_prompts", { meetingId: await findMeeting("design critique", "upcoming") }));
    expect(text).toMatch(/drop-off/);
  });

  it("who am I signed in as?", async () => {
    const text = resultText(await ask("get_person"));
    expect(text).toContain("Alex Morgan");
    expect(text).toContain("admin");
  });

  it("what do the live meeting's notes say about Acme?", async () => {
    const text = resultText(
      await ask("get_meeting_notes", { meetingId: await findMeeting("weekly product sync", "live") }),
    );
    expect(text).toMatch(/renewal proposal by Friday/);
  });
});
