/**
 * Transcript chunks for the demo world, shaped as Connvo stores them (convex/transcripts/
 * ingestion.ts): absolute `startMs`/`endMs`, a 5-minute `bucketMs` derived from `startMs`, a
 * per-meeting `sequence` from 1, the speaker's user ID as `speakerId`. Lines come from a script
 * (written so tests and agents can check facts) or are generated for size.
 */
import { deterministicConvexId } from "../../convex/ids.js";
import { TABLE_NUMBERS } from "../seed.js";

export const BUCKET_MS = 5 * 60 * 1000;

export interface DemoChunk {
  _id: string;
  sequence: number;
  bucketMs: number;
  speakerId?: string;
  text: string;
  confidence: number;
  startMs: number;
  endMs: number;
  wordCount: number;
  language: string;
  createdAt: number;
}

export interface ScriptLine {
  /** Speaker's user ID; undefined for an unattributed line. */
  speaker?: string;
  text: string;
  /** Seconds after the transcript starts. */
  at: number;
  /** How long the line takes, in seconds (default from its length). */
  seconds?: number;
}

export function buildChunks(meetingKey: string, startMs: number, lines: readonly ScriptLine[]): DemoChunk[] {
  return lines.map((line, index) => {
    const begin = startMs + line.at * 1000;
    const seconds = line.seconds ?? Math.max(2, Math.round(line.text.split(/\s+/).length / 2.5));
    return {
      _id: deterministicConvexId(TABLE_NUMBERS.transcripts, `transcript:${meetingKey}:${index}`),
      sequence: index + 1,
      bucketMs: Math.floor(begin / BUCKET_MS) * BUCKET_MS,
      ...(line.speaker ? { speakerId: line.speaker } : {}),
      text: line.text,
      confidence: 0.86 + ((index * 37) % 13) / 100,
      startMs: begin,
      endMs: begin + seconds * 1000,
      wordCount: line.text.split(/\s+/).filter(Boolean).length,
      language: "en",
      createdAt: begin + seconds * 1000 + 400,
    };
  });
}

const FILLER = [
  "Let me share my screen for a second.",
  "Can everyone see the dashboard now?",
  "I think that matches what we saw last week.",
  "Let's park that and come back to it at the end.",
  "The numbers for the last sprint look better than expected.",
  "Do we have an owner for that?",
  "I can take that one.",
  "We should write this down in the notes.",
  "That's a good point, I hadn't thought of the mobile case.",
  "Let's keep moving, we have ten minutes left on this topic.",
  "I'll follow up with the customer after the call.",
  "Support tickets about audio dropped by a third.",
];

/** `count` lines rotating over `speakers`, one every `everySec` seconds from `fromSec`. */
export function generatedLines(
  speakers: readonly string[],
  count: number,
  fromSec: number,
  everySec: number,
): ScriptLine[] {
  const lines: ScriptLine[] = [];
  for (let i = 0; i < count; i++) {
    const speaker = speakers[(i * 7 + Math.floor(i / 3)) % speakers.length];
    lines.push({
      speaker,
      text: `${FILLER[i % FILLER.length]} (${i + 1})`,
      at: fromSec + i * everySec,
      seconds: Math.max(1, everySec - 1),
    });
  }
  return lines;
}
