/**
 * Answer sizes in UTF-8 bytes. Every o200k_base token is at least one byte, so a byte budget is a
 * strict upper bound on tokens for any text in any script (src/present/units.ts is the calibrated,
 * tighter estimate the transcript and notes tools budget with). Tools shape their answers to a
 * budget here, so their counts of what was left out stay true; the renderer's cap is the last resort.
 */
import { label, prose } from "./fields.js";

/**
 * Data budgets of the list tools: with default options the answer stays under 4,000 tokens, and
 * with the largest options under 20,000, whatever the script (the lead and data line add < 500 B).
 */
export const DEFAULT_DATA_BYTES = 3_400;
export const MAX_DATA_BYTES = 18_000;

/**
 * What any tool aims its largest answers at, and the renderer's hard cap on an answer's JSON.
 * Measured: the worst ASCII there is costs ~0.7 o200k tokens per byte, so 28,000 bytes stays
 * under 20,000 tokens for any text (English JSON costs ~0.25 per byte: ~7,000 tokens).
 */
export const ANSWER_BUDGET_BYTES = 24_000;
export const MAX_ANSWER_BYTES = 28_000;

const encoder = new TextEncoder();
/** UTF-8 bytes of `text`: never fewer than its o200k_base tokens. */
export const utf8Bytes = (text: string): number => encoder.encode(text).length;
export const jsonBytes = (value: unknown): number => utf8Bytes(JSON.stringify(value) ?? "");

/** `text` cut at a code point so it is at most `maxBytes` UTF-8 bytes, "…" marking the cut. */
export function capBytes(text: string, maxBytes: number): { text: string; cut: boolean } {
  if (utf8Bytes(text) <= maxBytes) return { text, cut: false };
  let out = "";
  let bytes = 3; // the ellipsis
  for (const ch of text) {
    const size = utf8Bytes(ch);
    if (bytes + size > maxBytes) break;
    out += ch;
    bytes += size;
  }
  return { text: `${out.trimEnd()}…`, cut: true };
}

/**
 * User text for an answer: sanitised (`prose` keeps line breaks, `label` is one line), at most
 * `maxChars` code points and `maxBytes` UTF-8 bytes; `cut` says whether anything was left out.
 */
export function clip(
  raw: unknown,
  maxChars: number,
  maxBytes: number,
  kind: "prose" | "label" = "label",
): { text: string; cut: boolean } {
  const clean = kind === "prose" ? prose : label;
  const text = clean(raw, maxChars);
  // Cut by characters exactly when one more allowed character changes the result.
  const cutByChars = text !== clean(raw, maxChars + 1);
  const byBytes = capBytes(text, maxBytes);
  return { text: byBytes.text, cut: cutByChars || byBytes.cut };
}

/**
 * The JSON text of the answer fitToBudget last let through whole. A tool's shape returns that very
 * object as its data and the renderer serialises it next, in the same synchronous step
 * (src/tools/run.ts), so it need not be serialised twice (~10 µs of a ~0.5 ms call). Tools never
 * change an answer after fitting it; test/hostile.backend.test.ts checks text against
 * structuredContent for every tool.
 */
let lastFitted: { value: unknown; json: string } | undefined;

/** The JSON fitToBudget made of `value`, when `value` is what it last let through; used once. */
export function fittedJson(value: unknown): string | undefined {
  const last = lastFitted;
  lastFitted = undefined;
  return last !== undefined && last.value === value ? last.json : undefined;
}

/**
 * The answer made with the largest `limit` (at most the one asked for) whose JSON is at most
 * `budget` UTF-8 bytes, so a tool's counts of what it left out stay true. `make` must grow with
 * `limit`; when even `make(0)` is too large it is returned anyway (the renderer's cap is the
 * last resort).
 */
export function fitToBudget<T>(limit: number, make: (limit: number) => T, budget = ANSWER_BUDGET_BYTES): T {
  const full = make(limit);
  // A UTF-16 unit is at most 3 UTF-8 bytes: most answers fit without encoding them at all.
  const json = JSON.stringify(full) ?? "";
  if (json.length * 3 <= budget || utf8Bytes(json) <= budget) {
    if (typeof full === "object" && full !== null) lastFitted = { value: full, json };
    return full;
  }
  let low = 0;
  let high = limit - 1;
  let best = make(0);
  if (jsonBytes(best) > budget) return best;
  while (low <= high) {
    const mid = Math.floor((low + high) / 2);
    const answer = make(mid);
    if (jsonBytes(answer) <= budget) {
      best = answer;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return best;
}
