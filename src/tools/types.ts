/**
 * A tool is a plain object: its MCP definition plus a handler that returns data or throws a
 * `ToolFailure`. tools/result.ts is the one place that turns either into a CallToolResult.
 */
import type { ToolAnnotations } from "@modelcontextprotocol/server";
import type { z } from "zod";
import type { ConvexBackend } from "../convex/client.js";

export interface ToolContext {
  /** The backend client for whoever is calling (throws a ToolFailure when not configured). */
  backend(): ConvexBackend;
  /** Aborted when the MCP client cancels the call. */
  signal: AbortSignal;
  now(): number;
}

export interface ToolDefinition<Input extends z.ZodObject = z.ZodObject, Output extends z.ZodType = z.ZodType> {
  name: string;
  title: string;
  description: string;
  inputSchema: Input;
  outputSchema: Output;
  annotations: Required<
    Pick<ToolAnnotations, "readOnlyHint" | "destructiveHint" | "idempotentHint" | "openWorldHint">
  > &
    ToolAnnotations;
  handler(args: z.output<Input>, ctx: ToolContext): Promise<z.output<Output>>;
  /** The text block for the model: the same content as the structured output, readable first. */
  renderText(output: z.output<Output>): string;
}

/** Erases a tool's generic types so different tools can share one list. */
// biome-ignore lint/suspicious/noExplicitAny: tools are heterogeneous; each is typed where defined.
export type AnyTool = ToolDefinition<any, any>;
