/**
 * Arguments as people and agents actually send them. Pure functions, no I/O.
 * - An ID argument may arrive with surrounding whitespace, in upper case, or as a Connvo URL that
 *   contains the ID (a meeting link pasted from a calendar): all become the ID, with a note that
 *   says so in the answer.
 * - A number argument may arrive as a numeric string ("25"): it becomes the number before the
 *   schema is checked, so the advertised schema stays exactly the OpenAPI one.
 */
import { isConvexId } from "../convex/ids.js";

export function normalizeIdArgument(argument: string, raw: unknown): { id: unknown; note?: string } {
  if (typeof raw !== "string") return { id: raw };
  const trimmed = raw.trim();
  if (/^https?:\/\//i.test(trimmed)) {
    const found = idInUrl(trimmed);
    if (found) return { id: found, note: `${argument} was taken from the pasted URL.` };
    return { id: trimmed };
  }
  if (isConvexId(trimmed)) return { id: trimmed };
  const lower = trimmed.toLowerCase();
  if (lower !== trimmed && isConvexId(lower)) return { id: lower, note: `${argument} was read in lower case.` };
  return { id: trimmed };
}

/** The last path segment or query value of `url` that is a Convex ID. */
function idInUrl(text: string): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  const candidates = [
    ...url.pathname.split("/").map((part) => safeDecode(part)),
    ...[...url.searchParams.values()],
    url.hash.replace(/^#\/?/, ""),
  ].reverse();
  for (const candidate of candidates) {
    const id = candidate.trim().toLowerCase();
    if (isConvexId(id)) return id;
  }
  return undefined;
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

type JsonSchema = { type?: string | string[]; properties?: Record<string, JsonSchema> };

/**
 * `{ limit: "25" }` → `{ limit: 25 }` for properties the JSON Schema types as number or integer.
 * Anything that is not a plain decimal number is left as it is, for the schema to reject.
 */
export function coerceNumericStrings(schema: JsonSchema, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value) || !schema.properties) return value;
  let out: Record<string, unknown> | undefined;
  for (const [key, sub] of Object.entries(schema.properties)) {
    const v = (value as Record<string, unknown>)[key];
    const types = Array.isArray(sub.type) ? sub.type : [sub.type];
    if (
      typeof v === "string" &&
      (types.includes("number") || types.includes("integer")) &&
      /^\s*-?\d+(\.\d+)?\s*$/.test(v)
    ) {
      out ??= { ...(value as Record<string, unknown>) };
      out[key] = Number(v);
    }
  }
  return out ?? value;
}
