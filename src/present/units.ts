/**
 * Sizes of user-written text in "units", a cheap stand-in for tokens that tools can budget with
 * at run time (no tokenizer ships with the server).
 *
 * A unit is one UTF-16 code unit of the JSON text, except that a non-ASCII code unit counts 3.
 * Measured with o200k_base (js-tiktoken): English prose and JSON take 0.21-0.29 tokens per unit;
 * CJK, Thai, Devanagari, emoji and rare ideographs at most ~0.34 (about one token per character,
 * which costs 3 units); and the worst ASCII there is (random letters and digits, punctuation soup)
 * about 0.7. So an answer of U units is at most ~0.34·U tokens for real text in any script and
 * never more than ~0.7·U tokens for any text at all: budgets are chosen from both numbers.
 */

/** Units of a string that is already JSON (or any text shown as is). */
export function textUnits(text: string): number {
  let units = text.length;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) units += 2;
  return units;
}

/** Units of `value` once serialised as JSON (quotes and escapes included). */
export const jsonUnits = (value: unknown): number => textUnits(JSON.stringify(value) ?? "");

/** Units one code point takes inside a JSON string literal. */
function codePointUnits(cp: number): number {
  if (cp === 0x22 || cp === 0x5c) return 2; // \" \\
  if (cp < 0x20) return cp === 0x08 || cp === 0x09 || cp === 0x0a || cp === 0x0c || cp === 0x0d ? 2 : 6;
  if (cp < 0x80) return 1;
  return cp > 0xffff ? 6 : 3;
}

/** Units of `text` inside a JSON string literal, without the two quotes. */
export function stringUnits(text: string): number {
  let units = 0;
  for (const ch of text) units += codePointUnits(ch.codePointAt(0) as number);
  return units;
}

/**
 * The longest prefix of `text` (whole code points) of at most `maxUnits` units inside a JSON
 * string; when something was cut, the prefix ends with "…" (counted in the budget).
 */
export function fitUnits(text: string, maxUnits: number): { text: string; cut: boolean } {
  if (stringUnits(text) <= maxUnits) return { text, cut: false };
  const room = Math.max(0, maxUnits - 3);
  let used = 0;
  let end = 0;
  for (const ch of text) {
    const units = codePointUnits(ch.codePointAt(0) as number);
    if (used + units > room) break;
    used += units;
    end += ch.length;
  }
  return { text: `${text.slice(0, end).trimEnd()}…`, cut: true };
}
