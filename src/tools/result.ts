/**
 * The one place where a tool's outcome becomes an MCP CallToolResult: data becomes
 * `structuredContent` plus the same content as text; a `ToolFailure` becomes an `isError` result
 * with fixed wording; anything else is logged (redacted) and reported as an internal error.
 * Errors never carry structuredContent.
 */
import type { CallToolResult } from "@modelcontextprotocol/server";
import { log, redact } from "../log.js";
import { failureMessage, ToolFailure } from "./failures.js";
import type { AnyTool, ToolContext } from "./types.js";

export function errorResult(text: string): CallToolResult {
  return { content: [{ type: "text", text: redact(text) }], isError: true };
}

export async function runTool(tool: AnyTool, args: unknown, ctx: ToolContext): Promise<CallToolResult> {
  try {
    const output = await tool.handler(args, ctx);
    return {
      content: [{ type: "text", text: redact(tool.renderText(output)) }],
      structuredContent: output as Record<string, unknown>,
    };
  } catch (error) {
    if (error instanceof ToolFailure) {
      if (error.failure.kind !== "invalid_meeting_id") log("warn", `${tool.name} failed: ${error.failure.kind}`);
      return errorResult(failureMessage(error.failure));
    }
    log("error", `${tool.name} crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return errorResult(failureMessage({ kind: "internal" }));
  }
}
