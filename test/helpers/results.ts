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
