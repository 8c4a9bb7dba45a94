/**
 * Meeting notes, shared by get_meeting_notes and add_meeting_note: reading them from Connvo (with
 * its "rate limited" answer told apart from "no notes"), and cutting a bounded slice of them.
 */
import { ToolFailure } from "../../core/failures.js";
import { prose } from "../../present/fields.js";
import { stringUnits } from "../../present/units.js";
import type { ToolBackend } from "../define.js";

export const NOTES = "realtime/subscriptions:subscribeMeetingNotes";

/** What subscribeMeetingNotes answers (null is allowed by the document). */
export interface NotesValue {
  content: string;
  version: number;
  lastUpdated: number;
  subscriptionValid: boolean;
  permissions: string[];
  cursor: string;
  /** Connvo's bandwidth manager refused: content is "" and version 0, which does NOT mean "no notes". */
  rateLimited: boolean;
}

/**
 * A subscription ID of its own for a read that must not be served from connvo-mcp's result cache
 * or shared with a concurrent identical read (a re-read after "rate limited", a read before a write).
 */
const freshSubscriptionId = () => `connvo-mcp-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;

/**
 * The meeting's notes. When Connvo answers rateLimited, reads once more with a fresh subscription;
 * when that is rate limited too, fails with rate_limited (never reports "no notes").
 */
export async function readNotes(
  backend: ToolBackend,
  meetingId: string,
  options: { fresh: boolean },
): Promise<{ notes: NotesValue | null; reread: boolean }> {
  const read = async (fresh: boolean) =>
    (await backend.call(
      NOTES,
      fresh ? { meetingId, subscriptionId: freshSubscriptionId() } : { meetingId },
    )) as NotesValue | null;
  const first = await read(options.fresh);
  if (!first?.rateLimited) return { notes: first, reread: false };
  const second = await read(true);
  if (second?.rateLimited) throw new ToolFailure({ kind: "rate_limited", retryAfterSec: 1, attempts: 2 });
  return { notes: second, reread: true };
}

/** Units the notes text of one answer may take for `maxChars` (see text/size.ts). */
export const notesUnitsFor = (maxChars: number) => Math.min(24_000, Math.max(2_000, Math.round(maxChars * 1.5)));

export interface NotesSlice {
  /** The slice, as shown (untrusted text through `prose`). */
  text: string;
  /** [fromChar, toChar) of Connvo's content, in UTF-16 code units (Connvo's positions). */
  fromChar: number;
  toChar: number;
  totalChars: number;
  truncated: boolean;
}

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/**
 * At most `maxChars` characters of `content` from `fromChar`, and at most notesUnitsFor(maxChars)
 * units, so text in any script stays within the answer's token bounds. A cut prefers the end of a
 * line near the limit, so the next slice (fromChar = toChar) starts on a fresh line.
 */
export function sliceNotes(content: string, fromChar: number, maxChars: number): NotesSlice {
  const totalChars = content.length;
  let start = Math.min(Math.max(0, Math.floor(fromChar)), totalChars);
  if (start > 0 && start < totalChars && isLowSurrogate(content.charCodeAt(start))) start += 1;
  const budget = notesUnitsFor(maxChars);
  let end = start;
  let used = 0;
  for (const ch of content.slice(start, Math.min(totalChars, start + maxChars + 2))) {
    const units = stringUnits(ch);
    if (end - start + ch.length > maxChars || used + units > budget) break;
    used += units;
    end += ch.length;
  }
  if (end < totalChars) {
    const lineEnd = content.lastIndexOf("\n", end - 1);
    if (lineEnd >= start && lineEnd + 1 - start >= 0.8 * (end - start)) end = lineEnd + 1;
  }
  let text = prose(content.slice(start, end), maxChars + 1);
  // prose can lengthen text a little ("](" becomes "] ("): shrink until it fits.
  while (end > start && stringUnits(text) > budget) {
    end = start + Math.floor((end - start) * 0.9);
    if (end > start && isLowSurrogate(content.charCodeAt(end))) end -= 1;
    text = prose(content.slice(start, end), maxChars + 1);
  }
  return { text, fromChar: start, toChar: end, totalChars, truncated: end < totalChars };
}
