/**
 * connvo://meetings/{meetingId}/sessions over real stdio: listed as a template, read = the
 * sessions summary, `resources/subscribe` pushes `notifications/resources/updated` when the
 * meeting materially changes (from the same live subscription watch_meeting uses), and
 * unsubscribing stops them. Over stateless HTTP a subscription is refused (no long-lived
 * connection; on the 2026-07-28 revision the method does not exist there at all).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoDeployment, startDemoDeployment } from "../../src/demo/deployment.js";
import { DEMO_MISSING_MEETING_ID } from "../../src/demo/seed.js";
import { dataOf, startToolkit, type Toolkit } from "../helpers/toolkit.js";

async function waitUntil(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("the sessions resource", () => {
  let demo: DemoDeployment;
  let kit: Toolkit;
  const updates: string[] = [];

  beforeAll(async () => {
    demo = await startDemoDeployment({ liveEveryMs: 0, syncRefreshMs: 200 });
    kit = await startToolkit("stdio", { deployment: demo });
    kit.client.setNotificationHandler("notifications/resources/updated", (notification) => {
      updates.push(notification.params.uri);
    });
  });
  afterAll(async () => {
    await kit?.close();
    await demo?.close();
  });

  it("is a template whose read is the sessions summary", async () => {
    expect(kit.client.getServerCapabilities()?.resources).toMatchObject({ subscribe: true });
    const { resourceTemplates } = await kit.client.listResourceTemplates();
    expect(resourceTemplates).toContainEqual(
      expect.objectContaining({ uriTemplate: "connvo://meetings/{meetingId}/sessions", mimeType: "application/json" }),
    );
    const meetingId = demo.meetings.poorConnection;
    const read = await kit.client.readResource({ uri: `connvo://meetings/${meetingId}/sessions` });
    const content = read.contents[0] as { mimeType?: string; text?: string };
    expect(content.mimeType).toBe("application/json");
    const summary = JSON.parse(String(content.text)) as { participants: { name: string }[]; counts: unknown };
    const tool = dataOf<{ participants: { name: string }[]; counts: unknown }>(
      await kit.call("get_active_sessions", { meetingId }),
    );
    expect(summary.participants.map((p) => p.name)).toEqual(tool.participants.map((p) => p.name));
    expect(summary.counts).toEqual(tool.counts);
  });

  it("says why a read fails, as the tool would", async () => {
    await expect(
      kit.client.readResource({ uri: `connvo://meetings/${demo.meetings.forbidden}/sessions` }),
    ).rejects.toThrow(/participant|permission|access/i);
    await expect(kit.client.readResource({ uri: "connvo://meetings/not-an-id/sessions" })).rejects.toThrow();
    await expect(
      kit.client.readResource({ uri: `connvo://meetings/${DEMO_MISSING_MEETING_ID}/sessions` }),
    ).rejects.toThrow(/not found|no meeting/i);
  });

  it("pushes an update when the meeting changes, and none after unsubscribing", async () => {
    const meetingId = demo.meetings.healthy;
    const uri = `connvo://meetings/${meetingId}/sessions`;
    await kit.client.subscribeResource({ uri });
    await waitUntil("the subscription", () => demo.sync.stats.byMeeting[meetingId] === 1);
    // Heartbeats (every 200 ms here) are not changes: no update for them.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(updates).toEqual([]);
    demo.live.apply(meetingId, { kind: "quality", quality: "poor" });
    await waitUntil("an update", () => updates.length === 1);
    expect(updates).toEqual([uri]);
    const content = (await kit.client.readResource({ uri })).contents[0] as { text?: string };
    const read = JSON.parse(String(content.text)) as {
      counts: { byQuality: { poor: number } };
    };
    expect(read.counts.byQuality.poor).toBe(1);

    await kit.client.unsubscribeResource({ uri });
    demo.live.apply(meetingId, { kind: "drop" });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(updates).toEqual([uri]);
    await expect(kit.client.subscribeResource({ uri: "connvo://meetings/nope/sessions" })).rejects.toThrow(
      /Unknown resource/,
    );
  }, 30_000);

  it("is not subscribable over stateless HTTP", async () => {
    const http = await startToolkit("http", { deployment: demo });
    try {
      await expect(
        http.client.subscribeResource({ uri: `connvo://meetings/${demo.meetings.healthy}/sessions` }),
      ).rejects.toThrow(/long-lived connection \(stdio\)|resources\/subscribe/);
    } finally {
      await http.close();
    }
  }, 30_000);
});
