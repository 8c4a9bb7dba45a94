/**
 * Sanitising of user-controlled strings (display names, IDs, URLs) before they reach an LLM.
 *
 * Everything here treats its input as untrusted data. The goal is not to "detect" prompt
 * injection (impossible) but to make sure a hostile string can only ever be a short, single-line,
 * visible run of text: no hidden characters, no line breaks that could start a fake "SYSTEM:"
 * line, no leading markdown that could look like a heading or quote, and no unbounded length.
 * The renderer then keeps these strings inside JSON string literals.
 *
 * All regexes below are single-character classes (or alternations of single characters with a
 * constant lookahead), so each pass is linear in the input; there is no backtracking blow-up.
 */

/** Default cap for display names, in code points (the "…" counts toward it). */
export const DEFAULT_MAX_LEN = 64;

const ELLIPSIS = "…";

/**
 * Characters removed outright (not replaced by a space), because they are invisible or
 * change how surrounding text is displayed:
 * - C0/C1 controls except the whitespace ones handled below (\t \n \v \f \r and NEL U+0085),
 * - every format char (\p{Cf}): this already covers zero-width space/joiners U+200B-U+200F,
 *   word joiner & invisible operators U+2060-U+2064, BOM U+FEFF, Mongolian vowel separator
 *   U+180E, bidi embeddings/overrides/isolates U+202A-U+202E, U+2066-U+2069, U+061C, and the
 *   "ASCII smuggling" tag block U+E0000-U+E007F. They are listed explicitly anyway so the intent
 *   survives a future Unicode reclassification,
 * - lone surrogates (\p{Cs}), which cannot be encoded as UTF-8 anyway,
 * - Hangul fillers (U+115F, U+1160, U+3164, U+FFA0): letters by category, but render as blanks
 *   and are a known way to make an "empty-looking" name.
 */
const STRIP =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
  /[\u0000-\u0008\u000E-\u001F\u007F-\u0084\u0086-\u009F\u061C\u180E\u200B-\u200F\u202A-\u202E\u2060-\u206F\uFEFF\u115F\u1160\u3164\uFFA0\p{Cf}\p{Cs}]/gu;

/** Any run of whitespace (incl. line/paragraph separators and NEL) becomes one ordinary space. */
const WHITESPACE_RUN = /[\s\u0085]+/gu;

/**
 * Leading markdown-ish syntax: headings (#), quotes (>), code fences (`), table pipes (|),
 * setext/rule characters (= ~), and list bullets (- * +) when followed by a space.
 * Stripped repeatedly from the start so "  > ## - x" becomes "x".
 */
const LEADING_MARKDOWN = /^(?:[ #>`|~=]|[-*+](?= |$))+/u;

/**
 * Bound on how much raw input is examined. Sanitising is linear anyway, but a name field could
 * hold megabytes; looking at a generous prefix keeps per-name work O(maxLen). Only pathological
 * inputs (thousands of invisible chars before the visible text) are affected, and they are
 * marked as truncated.
 */
function scanLimit(maxLen: number): number {
  return Math.max(1024, maxLen * 16);
}

/**
 * Strings the slow path below would return unchanged: printable ASCII, no leading/trailing or
 * doubled space, no leading markdown character, no backtick, no "](". Most ids and many names.
 */
const ALREADY_SAFE = /^(?![ #>`|~=*+-])(?!.*(?: {2}|`|\]\())[\x20-\x7e]*[\x21-\x7e]$/;

/**
 * Makes an untrusted value safe to show as a short single-line label.
 * Non-strings become "". The result has at most `maxLen` code points, is NFC-normalised,
 * has no control/format/invisible characters, no line breaks, no leading markdown syntax, no
 * backticks (replaced by "'" so nothing can open a code span/fence) and no markdown link syntax.
 */
export function sanitizeText(s: unknown, maxLen: number = DEFAULT_MAX_LEN): string {
  if (typeof s !== "string" || s.length === 0) return "";
  const cap = Number.isFinite(maxLen) ? Math.max(1, Math.floor(maxLen)) : DEFAULT_MAX_LEN;
  if (s.length <= cap && ALREADY_SAFE.test(s)) return s;

  const limit = scanLimit(cap);
  let truncated = s.length > limit;
  let t = truncated ? s.slice(0, limit) : s;

  // Strip invisibles first, so "a\u200B\nb" and "a\n\u200Bb" both collapse to "a b", then NFC
  // (stripping can leave base+combining sequences that only now become composable).
  t = t.replace(STRIP, "").replace(WHITESPACE_RUN, " ").normalize("NFC");
  // NFC never introduces controls, but it can in principle reorder; a second strip is cheap.
  // Leading markdown goes first (so a leading fence is removed, not turned into quotes), then any
  // remaining backtick becomes "'" so nothing can open a code span or fence.
  // "](" becomes "] (" so "[Click to reconnect](https://evil.example)" cannot render as a link
  // whose text hides its target if a client renders the output as markdown.
  t = t.replace(STRIP, "").replace(LEADING_MARKDOWN, "").replace(/`/g, "'").replace(/\]\(/g, "] (").trim();

  // Cap by code points, not UTF-16 units, so we never split a surrogate pair.
  let out = "";
  let count = 0;
  for (const ch of t) {
    if (count === cap) {
      truncated = true;
      break;
    }
    out += ch;
    count++;
  }
  if (truncated && out.length > 0) {
    // Make room for the ellipsis within the cap.
    const cps = Array.from(out);
    if (cps.length >= cap) cps.length = cap - 1;
    out = cps.join("").trimEnd() + ELLIPSIS;
  }
  return out;
}

/**
 * A stand-in label for a person with no usable display name: "user …" plus the last 6
 * characters of their (sanitised) id, e.g. "user …k3f9x2". Enough to tell people apart in a
 * list; the full userId is always shown next to it.
 */
export function shortUserId(id: string): string {
  const clean = sanitizeText(id, 256).replace(/ /g, "");
  if (clean.length === 0) return "user ?";
  const cps = Array.from(clean);
  return cps.length <= 6 ? `user ${clean}` : `user …${cps.slice(-6).join("")}`;
}

/**
 * Returns the URL only if it is a plain https URL without embedded credentials, normalised by
 * the WHATWG parser (so spaces and quotes are percent-encoded). Anything else is dropped rather
 * than truncated, because a cut URL is useless and a non-https one (javascript:, data:, http:)
 * is not something an agent should be handed.
 */
export function sanitizeHttpsUrl(raw: unknown, maxLen = 512): string | undefined {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > maxLen * 4) return undefined;
  const cleaned = sanitizeText(raw, maxLen * 4);
  let url: URL;
  try {
    url = new URL(cleaned);
  } catch {
    return undefined;
  }
  if (url.protocol !== "https:" || url.username !== "" || url.password !== "") return undefined;
  return url.href.length <= maxLen ? url.href : undefined;
}

/**
 * Longer user-written text (transcript lines, notes, summaries, bios) that keeps its line breaks:
 * invisible and control characters are removed, line endings become "\n", runs of blank lines
 * collapse, each line is trimmed, backticks become "'" and "](" becomes "] (", and the whole is
 * capped at `maxLen` code points ("…" marks a cut). It always travels inside a JSON string, where
 * a line break is the two characters `\n`, so it can never start a line of the answer's text.
 */
export function sanitizeMultiline(s: unknown, maxLen: number): string {
  if (typeof s !== "string" || s.length === 0) return "";
  const cap = Math.max(1, Math.floor(maxLen));
  let truncated = s.length > cap * 4;
  const lines = (truncated ? s.slice(0, cap * 4) : s)
    .replace(/\r\n?|[\u0085\u2028\u2029]/g, "\n")
    .split("\n")
    .map((line) =>
      line
        .replace(STRIP, "")
        .replace(/[^\S\n]+/gu, " ")
        .normalize("NFC")
        .replace(/`/g, "'")
        .replace(/\]\(/g, "] (")
        .trim(),
    );
  const text = lines
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  const cps = Array.from(text);
  if (cps.length > cap) {
    cps.length = cap - 1;
    truncated = true;
  }
  return truncated ? `${cps.join("").trimEnd()}…` : text;
}
