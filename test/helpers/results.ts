/** Assertions on tool results and failures shared by the end-to-end and backend suites. */
import type { CallToolResult } from "@modelcontextprotocol/server";
import { expect } from "vitest";
import { type Failure, ToolFailure } from "../../src/core/failures.js";

export const resultText = (result: CallToolResult) =>
  result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");

/** An error is an isError result with the expected wording and never structured content. */
export function expectToolError(result: CallToolResult, pattern: RegExp) {
  expect(result.isError, resultText(result)).toBe(true);
  expect(result.structuredContent).toBeUndefined();
  expect(resultText(result)).toMatch(pattern);
}

/** The Failure a backend promise rejected with (and proof that it rejected with a ToolFailure). */
export async function failureOf(promise: Promise<unknown>): Promise<Failure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ToolFailure);
  return (error as ToolFailure).failure;
}

/** A client a tool can be called through (an SDK Client). */
interface ToolCaller {
  callTool(params: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
}

/** get_meeting for someone who is not in the meeting: Connvo's "not a participant", as a tool error. */
export async function expectNotParticipant(client: ToolCaller, meetingId: string): Promise<void> {
  const result = (await client.callTool({ name: "get_meeting", arguments: { meetingId } })) as CallToolResult;
  expect(result.isError).toBe(true);
  expect(resultText(result)).toMatch(/not a participant/);
}
