/**
 * The demo deployment serves every operation the tools call, with the kind of the manifest, and
 * validates args from the OpenAPI document with Convex's texts.
 */
import { ConvexHttpClient } from "convex/browser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DemoDeployment, startDemoDeployment } from "../src/demo/deployment.js";
import { DEMO_FUNCTIONS } from "../src/demo/functions/index.js";
import { validateArgs, validatorText } from "../src/demo/validate.js";
import { operation } from "../src/openapi/registry.js";
import { ALL_TOOLS } from "../src/tools/inventory.js";

let demo: DemoDeployment;
beforeAll(async () => {
  demo = await startDemoDeployment();
});
afterAll(() => demo.close());

describe("demo functions", () => {
  it("every operation a tool calls has a demo function of the same kind", () => {
    for (const tool of ALL_TOOLS) {
      for (const path of tool.operations) {
        const fn = DEMO_FUNCTIONS.get(path);
        expect(fn, `${tool.name}: ${path}`).toBeDefined();
        expect(fn?.kind, path).toBe(operation(path).kind);
      }
    }
  });

  it("rebuilds Convex's validator from the OpenAPI args schema", () => {
    expect(validatorText(operation("meetings/webrtc/index:getActiveSessions").argsSchema as never)).toBe(
      'v.object({meetingId: v.id("meetings")})',
    );
    expect(validatorText(operation("meetings/queries:listUserMeetings").argsSchema as never)).toBe(
      'v.object({limit: v.optional(v.float64()), state: v.optional(v.union(v.literal("scheduled"), v.literal("active"), v.literal("concluded"), v.literal("cancelled")))})',
    );
  });

  it("answers Convex's ArgumentValidationError texts", () => {
    const schema = operation("meetings/queries:listUserMeetings").argsSchema as never;
    expect(validateArgs({ limit: 5 }, schema)).toBeUndefined();
    expect(validateArgs({ state: "paused" }, schema)).toMatch(
      /^ArgumentValidationError: Value does not match validator\.\nPath: \.state\nValue: "paused"/,
    );
    expect(validateArgs({ bogus: 1 }, schema)).toMatch(
      /Object contains extra field `bogus` that is not in the validator\./,
    );
    const sessions = operation("meetings/webrtc/index:getActiveSessions").argsSchema as never;
    expect(validateArgs({}, sessions)).toMatch(/Object is missing the required field `meetingId`/);
    expect(validateArgs({ meetingId: demo.world.byName.healthy?.participants[0]?.userId }, sessions)).toMatch(
      /Found ID "\w+" from table `users`, which does not match the table name in validator `v.id\("meetings"\)`/,
    );
  });

  it("serves every kind endpoint and /api/run, refusing the wrong kind", async () => {
    const client = new ConvexHttpClient(demo.url, { logger: false, skipConvexDeploymentUrlCheck: true });
    client.setAuth(demo.token);
    const meetings = (await client.query(
      "meetings/queries:listUserMeetings" as never,
      { limit: 3 } as never,
    )) as unknown[];
    expect(meetings).toHaveLength(3);
    await expect(
      client.mutation("meetings/queries:getMeeting" as never, { meetingId: demo.meetings.healthy } as never),
    ).rejects.toThrow(/Trying to execute meetings\/queries:getMeeting as Mutation, but it is defined as Query/);
    const run = await fetch(`${demo.url}/api/run/meetings/queries/getMeeting`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${demo.token}` },
      body: JSON.stringify({ args: { meetingId: demo.meetings.healthy }, format: "json" }),
    });
    expect(run.status).toBe(200);
    expect((await run.json()).value.title).toBe("Weekly product sync");
  });

  it("faults match by function path and args", async () => {
    const client = new ConvexHttpClient(demo.url, { logger: false, skipConvexDeploymentUrlCheck: true });
    client.setAuth(demo.token);
    demo.injectFault({
      kind: "value",
      functionPath: "meetings/queries:getMeeting",
      args: { meetingId: demo.meetings.retro },
      value: null,
      times: 1,
    });
    expect(
      await client.query("meetings/queries:getMeeting" as never, { meetingId: demo.meetings.healthy } as never),
    ).not.toBeNull();
    expect(
      await client.query("meetings/queries:getMeeting" as never, { meetingId: demo.meetings.retro } as never),
    ).toBeNull();
    expect(
      await client.query("meetings/queries:getMeeting" as never, { meetingId: demo.meetings.retro } as never),
    ).not.toBeNull();
  });
});
