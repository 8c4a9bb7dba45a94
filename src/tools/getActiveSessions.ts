/**
 * get_active_sessions: who is in a Connvo meeting right now, as a per-person summary.
 * Its arguments start from the OpenAPI request's `args` schema (converted by code, so the
 * document stays the source of truth) plus MCP-side options that shape the answer.
 */
import { z } from "zod";
import { explainInvalidConvexId } from "../convex/ids.js";
import { operation, parseActiveSessions } from "../openapi/activeSessions.js";
import { renderSummaryText } from "../summary/render.js";
import { activeSessionsSummarySchema } from "../summary/schema.js";
import { DEFAULT_LIMIT, MAX_LIMIT, summarizeSessions } from "../summary/summarize.js";
import { ToolFailure } from "./failures.js";
import type { ToolDefinition } from "./types.js";

/** What the tool needs from an OpenAPI operation (tests pass one derived from an edited document). */
export interface OperationLike {
  argsSchema: object;
  functionPath: string;
}

/** The OpenAPI `args` object schema, extended with the options only this MCP server has. */
export function buildInputSchema(argsSchema: OperationLike["argsSchema"]) {
  const fromOpenApi = z.fromJSONSchema(argsSchema as z.core.JSONSchema.JSONSchema) as unknown as z.ZodObject<{
    meetingId: z.ZodString;
  }>;
  return fromOpenApi.strip().extend({
    limit: z
      .number()
      .int()
      .min(1)
      .max(MAX_LIMIT)
      .default(DEFAULT_LIMIT)
      .describe(
        `Most people to list (1-${MAX_LIMIT}, default ${DEFAULT_LIMIT}). People who need attention are listed first; the rest are counted as omitted.`,
      ),
    format: z
      .enum(["concise", "detailed"])
      .default("concise")
      .describe("concise (default): one entry per person. detailed: adds each person's session rows and avatar URL."),
  });
}

const DESCRIPTION = [
  "Who is in a live Connvo meeting right now and how their connections are doing.",
  "Use it when asked who has joined, who is still joining, who dropped, or whether anyone has a bad connection; give the meeting's ID.",
  "Returns a per-person summary (one person on several devices counts once): counts by state and by connection quality,",
  "people who need attention first (poor or fair connection, stuck connecting, dropped, stale metrics) with the reason,",
  "and how long each person has been in the call or trying to join.",
  `Limits: lists at most \`limit\` people (default ${DEFAULT_LIMIT}) and says how many were left out;`,
  "a person's quality is left out (counted as unknown) when Connvo has no recent metrics, which is common today;",
  "only a participant of the meeting may read it.",
  "Read-only.",
].join(" ");

export function createGetActiveSessionsTool(op: OperationLike = operation) {
  const inputSchema = buildInputSchema(op.argsSchema);
  const tool: ToolDefinition<typeof inputSchema, typeof activeSessionsSummarySchema> = {
    name: "get_active_sessions",
    title: "Who is in a Connvo meeting",
    description: DESCRIPTION,
    inputSchema,
    outputSchema: activeSessionsSummarySchema,
    annotations: {
      title: "Who is in a Connvo meeting",
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: true,
      openWorldHint: true,
    },
    async handler({ meetingId, limit, format }, ctx) {
      const reason = explainInvalidConvexId(meetingId);
      if (reason) throw new ToolFailure({ kind: "invalid_meeting_id", reason });
      const backend = ctx.backend();
      const value = await backend.query(op.functionPath, { meetingId }, { signal: ctx.signal });
      const parsed = parseActiveSessions(value);
      if (!parsed) {
        throw new ToolFailure({ kind: "bad_response", url: backend.url, what: "the sessions value is not a list" });
      }
      return summarizeSessions(parsed.rows, {
        meetingId,
        now: ctx.now(),
        limit,
        format,
        unreadableRows: parsed.unreadable,
      });
    },
    renderText: renderSummaryText,
  };
  return tool;
}
