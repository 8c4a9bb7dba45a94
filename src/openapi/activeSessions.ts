/**
 * What the OpenAPI document says about getActiveSessions, turned into the things the product
 * uses: the function path, the request's `args` schema (the tool's input schema starts here) and
 * a lenient checker for the rows of the response.
 */
import type { SessionRow } from "../convex/types.js";
import { GET_ACTIVE_SESSIONS_OPERATION } from "./generated.js";
import { compileSchema } from "./jsonSchemaCheck.js";

export const operation = GET_ACTIVE_SESSIONS_OPERATION;

const rowSchema = operation.responseSchema.properties.value.items;
const isSessionRow = compileSchema(rowSchema) as (value: unknown) => value is SessionRow;

export interface ParsedSessions {
  rows: SessionRow[];
  /** Rows that miss required fields or have the wrong types: left out, but counted. */
  unreadable: number;
}

/**
 * Check the query's value against `Response_...getActiveSessions.value`. Returns undefined when
 * the value is not the promised array at all (the caller reports a bad response).
 */
export function parseActiveSessions(value: unknown): ParsedSessions | undefined {
  if (!Array.isArray(value)) return undefined;
  const rows: SessionRow[] = [];
  let unreadable = 0;
  for (const item of value) {
    if (isSessionRow(item)) rows.push(item);
    else unreadable++;
  }
  return { rows, unreadable };
}
