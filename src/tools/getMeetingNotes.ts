/**
 * get_meeting_notes: a meeting's shared notes, capped, with their version and last update. Connvo
 * can answer "rate limited" with empty content; that is reported as rate limiting, never as
 * "no notes".
 */
import { z } from "zod";
import { countSchema, iso, isoTimeSchema, plural } from "../present/fields.js";
import { defineTool } from "./define.js";
import { NOTES, type NotesValue, readNotes, sliceNotes } from "./notes/notes.js";

export interface NotesInput {
  meetingId: string;
  maxChars: number;
  fromChar: number;
}

const outputSchema = z.object({
  asOf: isoTimeSchema,
  meetingId: z.string(),
  /** Connvo's notes version (0: no notes document yet). */
  version: countSchema,
  lastUpdated: isoTimeSchema.optional(),
  /** Characters of the whole notes (UTF-16 code units, Connvo's positions). */
  totalChars: countSchema,
  /** The characters shown: [fromChar, toChar). */
  fromChar: countSchema,
  toChar: countSchema,
  content: z.string(),
  truncated: z.boolean(),
  /** Characters after toChar that are not shown. */
  omittedChars: countSchema,
  nextFromChar: countSchema.optional(),
});

export type NotesAnswer = z.infer<typeof outputSchema>;

export function shapeNotes(notes: NotesValue | null, input: NotesInput, now: number): NotesAnswer {
  const content = typeof notes?.content === "string" ? notes.content : "";
  const slice = sliceNotes(content, input.fromChar, input.maxChars);
  const version = Math.max(0, notes?.version ?? 0);
  return {
    asOf: iso(now),
    meetingId: input.meetingId,
    version,
    ...(notes && version > 0 && Number.isFinite(notes.lastUpdated) ? { lastUpdated: iso(notes.lastUpdated) } : {}),
    totalChars: slice.totalChars,
    fromChar: slice.fromChar,
    toChar: slice.toChar,
    content: slice.text,
    truncated: slice.truncated,
    omittedChars: slice.totalChars - slice.toChar,
    ...(slice.truncated ? { nextFromChar: slice.toChar } : {}),
  };
}

export function notesLead(data: NotesAnswer): string[] {
  const id = data.meetingId;
  if (data.totalChars === 0) {
    return [
      data.version === 0
        ? `Meeting ${id} has no notes yet (as of ${data.asOf}).`
        : `The notes of meeting ${id} are empty (version ${data.version}, last updated ${data.lastUpdated ?? "unknown"}).`,
    ];
  }
  const lead = [
    `Notes of meeting ${id} as of ${data.asOf}: version ${data.version}, last updated ${data.lastUpdated ?? "unknown"}, ${plural(data.totalChars, "character")}.`,
  ];
  if (data.fromChar >= data.totalChars) {
    lead.push(`fromChar ${data.fromChar} is at or past the end of the notes: nothing to show from there.`);
  } else if (data.truncated || data.fromChar > 0) {
    lead.push(
      `Showing characters ${data.fromChar} to ${data.toChar}${data.truncated ? `; ${plural(data.omittedChars, "more character")} follow: call get_meeting_notes again with fromChar set to ${data.toChar}` : " (the end)"}.`,
    );
  }
  return lead;
}

export const getMeetingNotes = defineTool({
  name: "get_meeting_notes",
  title: "A Connvo meeting's notes",
  toolset: "notes",
  description: [
    "The shared notes of a Connvo meeting (live or past), with their version and when they were last updated.",
    "Use it when asked what the notes say, what was written down, or before adding to them; get the meeting's ID from list_meetings.",
    "Returns the notes text, its version and last update, the total length, and when it is longer than maxChars truncated: true with nextFromChar to read on.",
    'Limits: at most maxChars characters per answer (default 6,000; fewer for scripts that take more tokens); Connvo sometimes answers "rate limited", reported as such (wait a second and retry), never as empty notes; only a participant of the meeting may read them.',
    "Read-only.",
  ].join(" "),
  operations: [NOTES],
  args: { from: NOTES, pick: ["meetingId"] },
  options: {
    maxChars: z
      .number()
      .int()
      .min(200)
      .max(20_000)
      .default(6_000)
      .describe("Most characters of the notes to return (200-20000, default 6000); the answer says how many follow."),
    fromChar: z
      .number()
      .int()
      .min(0)
      .max(10_000_000)
      .default(0)
      .describe("Start at this character (nextFromChar of an earlier answer); default 0, the beginning."),
  },
  output: outputSchema,
  annotations: {
    title: "A Connvo meeting's notes",
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  async load(input: NotesInput, backend) {
    return readNotes(backend, input.meetingId, { fresh: false });
  },
  shape({ notes }, input, view) {
    const data = shapeNotes(notes, input, view.now);
    return { lead: [...notesLead(data), ...view.notes], data };
  },
});
