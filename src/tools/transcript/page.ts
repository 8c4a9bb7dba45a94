/**
 * The pure part of get_transcript: raw chunks → the lines an agent reads. Speaker IDs become
 * names from the roster, consecutive chunks of one speaker become one line (unless a minute or
 * more of silence lies between them), times are mm:ss from
 * the meeting's start, and the page stops at `maxLines` lines or at its size budget, whichever
 * comes first (the first line is always taken, so paging always moves on).
 */
import { shortUserId } from "../../core/sanitize.js";
import { clock, label, personName, prose } from "../../present/fields.js";
import { fitUnits, stringUnits } from "../../present/units.js";
import type { TranscriptChunkRow } from "./scan.js";

/** One chunk's text is cut beyond this many units (about 3,000 English characters). */
export const MAX_LINE_UNITS = 3_000;
/**
 * The page's size budget for `maxLines` lines: 90 units a line, within [4,000, 24,000]. The default
 * (100 lines, 9,000 units) stays under ~3,500 tokens with everything around it; the largest under
 * 20,000 tokens even for the worst text (see text/size.ts).
 */
export const budgetFor = (maxLines: number) => Math.min(24_000, Math.max(4_000, maxLines * 90));
/** IDs are random letters and digits: about 0.7 tokens a character, so they cost more. */
const ID_WEIGHT = 2.5;
/** `{"at":"00:00","speaker":"","text":""},` */
const LINE_OVERHEAD = 36;
/** `{"speakerId":"","name":""},` */
const SPEAKER_OVERHEAD = 28;
export const UNKNOWN_SPEAKER = "unknown speaker";
/** A speaker's next chunk joins their line only if it starts within this long of the last one's end. */
export const MERGE_GAP_MS = 60_000;

export interface TranscriptLine {
  at: string;
  speaker: string;
  text: string;
}

export interface Speaker {
  speakerId: string;
  name: string;
}

export interface Page {
  lines: TranscriptLine[];
  speakers: Speaker[];
  /** Chunks the page went through (merged into lines, or empty and skipped). */
  consumed: number;
  /** Lines whose text was cut (they end with "…"). */
  shortened: number;
}

export interface PageOptions {
  maxLines: number;
  /** Units the lines (and the speakers list) may take; default budgetFor(maxLines). */
  budget?: number;
  /** The meeting's start, for mm:ss. */
  startMs: number;
  /** Speaker ID → name (speakerNames). */
  names: ReadonlyMap<string, string>;
}

/** mm:ss (h:mm:ss past an hour) from the start; "-mm:ss" before it. */
export const sinceStart = (ms: number, startMs: number) => {
  const sec = Math.floor((ms - startMs) / 1000);
  return sec < 0 ? `-${clock(-sec)}` : clock(sec);
};

/**
 * Names for the speakers of a meeting from its roster: the display name, or "user …abc123"; two
 * people with the same name are told apart by the end of their ID.
 */
export function speakerNames(roster: readonly { userId: string; user?: { displayName?: string } }[]) {
  const names = new Map<string, string>();
  const uses = new Map<string, number>();
  for (const p of roster) {
    const name = personName(p.user?.displayName, p.userId);
    names.set(p.userId, name);
    uses.set(name, (uses.get(name) ?? 0) + 1);
  }
  for (const [id, name] of names) if ((uses.get(name) ?? 0) > 1) names.set(id, `${name} (${shortUserId(id)})`);
  return names;
}

const nameOf = (speakerId: string, names: ReadonlyMap<string, string>) =>
  speakerId === "" ? UNKNOWN_SPEAKER : (names.get(speakerId) ?? personName(undefined, speakerId));

export function buildPage(chunks: readonly TranscriptChunkRow[], options: PageOptions): Page {
  const budget = options.budget ?? budgetFor(options.maxLines);
  const lines: (TranscriptLine & { key: string; endMs: number })[] = [];
  const speakers = new Map<string, Speaker>();
  let used = 0;
  let consumed = 0;
  let shortened = 0;
  let lastCut = false;
  for (const chunk of chunks) {
    const key = typeof chunk.speakerId === "string" ? chunk.speakerId : "";
    const fitted = fitUnits(prose(chunk.text, 4 * MAX_LINE_UNITS), MAX_LINE_UNITS);
    if (fitted.text === "") {
      consumed += 1;
      continue;
    }
    const last = lines.at(-1);
    if (last && last.key === key && !lastCut && !fitted.cut && chunk.startMs - last.endMs <= MERGE_GAP_MS) {
      const merged = `${last.text} ${fitted.text}`;
      const cost = stringUnits(merged) - stringUnits(last.text);
      if (stringUnits(merged) <= MAX_LINE_UNITS) {
        if (used + cost > budget) break;
        last.text = merged;
        last.endMs = Math.max(last.endMs, chunk.endMs);
        used += cost;
        consumed += 1;
        continue;
      }
    }
    if (lines.length >= options.maxLines) break;
    const speaker = nameOf(key, options.names);
    const isNew = key !== "" && !speakers.has(key);
    const speakerId = label(key, 64);
    const cost =
      LINE_OVERHEAD +
      stringUnits(speaker) +
      stringUnits(fitted.text) +
      (isNew ? SPEAKER_OVERHEAD + Math.ceil(ID_WEIGHT * stringUnits(speakerId)) + stringUnits(speaker) : 0);
    if (lines.length > 0 && used + cost > budget) break;
    if (isNew) speakers.set(key, { speakerId, name: speaker });
    lines.push({ key, endMs: chunk.endMs, at: sinceStart(chunk.startMs, options.startMs), speaker, text: fitted.text });
    used += cost;
    consumed += 1;
    lastCut = fitted.cut;
    if (fitted.cut) shortened += 1;
  }
  return {
    lines: lines.map(({ at, speaker, text }) => ({ at, speaker, text })),
    speakers: [...speakers.values()],
    consumed,
    shortened,
  };
}
