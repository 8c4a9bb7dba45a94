/**
 * list_meetings and get_meeting end to end: a real MCP client over stdio and over Streamable HTTP,
 * the bundled server, the demo deployment speaking Convex's wire protocol. Success, each error
 * class, the input people paste, and bounds at large data.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectToolError, resultText } from "../helpers/results.js";
import { tokensOf } from "../helpers/tokens.js";
import { dataOf, startToolkit, type Toolkit } from "../helpers/toolkit.js";

interface Listed {
  meetings: { meetingId: string; title: string; state: string; start?: string; role: string }[];
  counts: Record<string, number>;
  omitted: number;
  timeZone: string;
}

describe.each(["stdio", "http"] as const)("meeting tools over %s", (via) => {
  let kit: Toolkit;
  beforeAll(async () => {
    kit = await startToolkit(via);
  });
  afterAll(() => kit.close());

  it("list_meetings: live first (the one the user hosts leads), upcoming soonest first, then past", async () => {
    const data = dataOf<Listed>(await kit.call("list_meetings", { limit: 100 }));
    const states = data.meetings.map((m) => m.state);
    const order = ["live", "upcoming", "past", "cancelled"];
    expect(states.map((s) => order.indexOf(s))).toEqual([...states.map((s) => order.indexOf(s))].sort((a, b) => a - b));
    expect(data.meetings[0]?.title).toBe("Weekly product sync");
    const upcoming = data.meetings.filter((m) => m.state === "upcoming").map((m) => m.title);
    expect(upcoming).toEqual(["Design critique: mobile onboarding", "Acme Corp renewal call", "Q1 roadmap planning"]);
    expect(data.meetings.find((m) => m.title === "Sprint 41 retrospective")?.state).toBe("past");
    expect(data.meetings.find((m) => m.title === "Vendor demo: TranscribeCo")?.state).toBe("cancelled");
    expect(data.meetings.map((m) => m.title)).not.toContain("Board meeting (private)");
  });

  it("list_meetings: filters by when and title words, local times in the asked zone", async () => {
    const upcoming = dataOf<Listed>(await kit.call("list_meetings", { when: "upcoming", timeZone: "Asia/Tokyo" }));
    expect(upcoming.meetings.every((m) => m.state === "upcoming")).toBe(true);
    expect(upcoming.timeZone).toBe("Asia/Tokyo");
    expect(resultText(await kit.call("list_meetings", { when: "upcoming", timeZone: "Asia/Tokyo" }))).toMatch(
      /Asia\/Tokyo/,
    );
    const retro = dataOf<Listed>(await kit.call("list_meetings", { query: "RETRO sprint" }));
    expect(retro.meetings.map((m) => m.title)).toEqual(["Sprint 41 retrospective"]);
    const live = dataOf<Listed>(await kit.call("list_meetings", { when: "live" }));
    expect(live.meetings.length).toBeGreaterThan(0);
    expect(live.meetings.every((m) => m.state === "live")).toBe(true);
  });

  it("list_meetings: a numeric string limit is accepted and what is left out is counted", async () => {
    const data = dataOf<Listed>(await kit.call("list_meetings", { limit: "2" }));
    expect(data.meetings).toHaveLength(2);
    expect(data.omitted).toBeGreaterThan(5);
  });

  it("list_meetings: a bad time zone or date is refused before any request", async () => {
    kit.demo.resetStats();
    expectToolError(await kit.call("list_meetings", { timeZone: "Mars/Olympus" }), /not an IANA time zone/);
    expectToolError(await kit.call("list_meetings", { from: "next tuesday" }), /^from: is not an ISO 8601 date/);
    expect(kit.demo.stats.queryRequests).toBe(0);
    dataOf(await kit.call("list_meetings", {}));
  });

  it("list_meetings: Connvo's return-validator failure is reported as Connvo's, and the next call works", async () => {
    kit.demo.injectFault({
      kind: "functionError",
      functionPath: "meetings/queries:listUserMeetings",
      message: "ReturnsValidationError: Object contains extra field `_creationTime` that is not in the validator.",
      times: 1,
    });
    expectToolError(await kit.call("list_meetings", {}), /failed on Connvo's side/);
    dataOf(await kit.call("list_meetings", {}));
  });

  it("get_meeting: the roster with flags first, from a pasted URL in upper case", async () => {
    const id = kit.demo.meetings.healthy;
    const result = await kit.call("get_meeting", {
      meetingId: `  https://app.connvo.example/meetings/${id.toUpperCase()}?tab=chat `,
    });
    const data = dataOf<{
      meeting: { meetingId: string; state: string; yourRole: string };
      people: { name: string; flags?: string[] }[];
      counts: Record<string, number>;
    }>(result);
    expect(resultText(result)).toMatch(/meetingId was taken from the pasted URL/);
    expect(data.meeting).toMatchObject({ meetingId: id, state: "live", yourRole: "host" });
    expect(data.people.slice(0, 2).map((p) => [p.name, p.flags])).toEqual(
      expect.arrayContaining([
        ["Jonas Lindqvist", ["invited_not_joined"]],
        ["Lena Fischer", ["left_early"]],
      ]),
    );
    expect(data.counts).toMatchObject({ people: 6, joined: 4, invited: 1, left: 1, flagged: 2 });
  });

  it("get_meeting: each error class, and the server keeps serving", async () => {
    kit.demo.resetStats();
    expectToolError(await kit.call("get_meeting", { meetingId: "not-an-id" }), /meetingId is not a Connvo meeting ID/);
    expect(kit.demo.stats.queryRequests).toBe(0);
    expectToolError(
      await kit.call("get_meeting", { meetingId: kit.demo.meetings.forbidden }),
      /not a participant of meeting/,
    );
    kit.demo.injectFault({ kind: "value", functionPath: "meetings/queries:getMeeting", value: null, times: 1 });
    expectToolError(await kit.call("get_meeting", { meetingId: kit.demo.meetings.retro }), /No meeting \w+ exists/);
    expectToolError(await kit.call("get_meeting", {}), /meetingId/);
    dataOf(await kit.call("get_meeting", { meetingId: kit.demo.meetings.retro }));
  });

  it("get_meeting: a 400-person roster is bounded by limit and counted", async () => {
    const result = await kit.call("get_meeting", { meetingId: kit.demo.meetings.large });
    const data = dataOf<{ people: unknown[]; omitted: number; counts: { people: number } }>(result);
    expect(data.people).toHaveLength(50);
    expect(data.omitted).toBe(data.counts.people - 50);
    expect(tokensOf(resultText(result))).toBeLessThan(4000);
  });
});

describe("list_meetings at 500 meetings", () => {
  let kit: Toolkit;
  beforeAll(async () => {
    kit = await startToolkit("stdio", { demo: { bulkMeetings: 500 } });
  });
  afterAll(() => kit.close());

  it("the default answer stays under 4,000 tokens and the largest under 20,000", async () => {
    const small = await kit.call("list_meetings", {});
    expect(dataOf<Listed>(small).omitted).toBeGreaterThan(400);
    expect(tokensOf(resultText(small))).toBeLessThan(4000);
    const largest = await kit.call("list_meetings", { limit: 100 });
    expect(dataOf<Listed>(largest).meetings).toHaveLength(100);
    expect(tokensOf(resultText(largest))).toBeLessThan(20_000);
    expect(resultText(largest)).toMatch(/Connvo returned its maximum of 500 meetings/);
  });
});
