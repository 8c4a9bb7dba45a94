/**
 * add_meeting_note (a write, offered only with --enable-writes): appends text at the end of a
 * meeting's notes.
 *
 * It reads the notes, then sends ONE applyNoteOperation: an insert at the current length with the
 * version it read as expectedVersion, so Connvo refuses it (CONFLICT) if anyone changed the notes
 * in between. On a conflict it reads again once and sends once more; a second conflict is a clear
 * failure with nothing written. The write is never retried on other failures (a mutation is sent
 * once). clientSequence is Number.MAX_SAFE_INTEGER: with the version check passing, the notes are
 * exactly what was read, so Connvo has nothing to transform the insert against.
 */
import { z } from "zod";
import { ToolFailure } from "../core/failures.js";
import { countSchema, iso, isoTimeSchema, plural } from "../present/fields.js";
import { defineTool } from "./define.js";
import { NOTES, readNotes } from "./notes/notes.js";

const APPLY = "notes/mutations:applyNoteOperation";
export const MAX_NOTE_CHARS = 4_000;

interface Input {
  meetingId: string;
  text: string;
}

interface ApplyResult {
  success: boolean;
  serverSequence: number;
  transformedOperation: { type: string; position: number; content?: string; length?: number };
  newVersion: number;
  conflicts: string[];
}

export interface AddNoteLoaded {
  result: ApplyResult;
  previousVersion: number;
  position: number;
  appended: string;
  retriedAfterConflict: boolean;
}

const outputSchema = z.object({
  asOf: isoTimeSchema,
  meetingId: z.string(),
  newVersion: countSchema,
  previousVersion: countSchema,
  /** Where the text went (UTF-16 code units from the start of the notes). */
  position: countSchema,
  appendedChars: countSchema,
  /** Length of the notes after the write. */
  notesChars: countSchema,
  /** The notes changed between reading and writing, so they were read again and the write resent once. */
  retriedAfterConflict: z.boolean(),
});

/** Line endings as "\n"; control, bidi-override and BOM characters removed; no blank edges. */
export function cleanNoteText(text: string): string {
  return (
    text
      .replace(/\r\n?/g, "\n")
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
      .replace(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFEFF]/g, "")
      .replace(/^\s*\n/, "")
      .trimEnd()
  );
}

/** What to insert at the end of `content`: the text on a line of its own. */
export const appendix = (content: string, text: string) =>
  `${content === "" || content.endsWith("\n") ? "" : "\n"}${text}\n`;

const isConflict = (error: unknown) => error instanceof ToolFailure && error.failure.kind === "conflict";

export const addMeetingNote = defineTool({
  name: "add_meeting_note",
  title: "Add to a Connvo meeting's notes",
  toolset: "notes",
  description: [
    "Adds text at the end of a Connvo meeting's shared notes, on a line of its own; the existing notes are kept as they are.",
    "Use it when the user asks to write something down in the meeting notes (a decision, an action item, a summary); confirm the text with the user first.",
    "Returns the notes' new version, where the text went and the new length.",
    `Limits: up to ${MAX_NOTE_CHARS.toLocaleString("en-US")} characters per call; if someone edits the notes at the same moment it reads them again and retries once, and fails with nothing written if that happens twice; sent once, never repeated automatically; only a participant of the meeting may write.`,
    "Changes Connvo data: everyone in the meeting sees the added text.",
  ].join(" "),
  operations: [NOTES, APPLY],
  args: { from: APPLY, pick: ["meetingId"] },
  options: {
    text: z
      .string()
      .min(1)
      .max(MAX_NOTE_CHARS)
      .describe(`The text to add at the end of the notes (plain text or Markdown, 1-${MAX_NOTE_CHARS} characters).`),
  },
  output: outputSchema,
  annotations: {
    title: "Add to a Connvo meeting's notes",
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: true,
  },
  async load(input: Input, backend): Promise<AddNoteLoaded> {
    const text = cleanNoteText(input.text);
    if (text === "") {
      throw new ToolFailure({
        kind: "invalid_argument",
        argument: "text",
        problem: "has nothing to add once blank space and control characters are removed.",
      });
    }
    const meetingId = input.meetingId;
    for (let attempt = 1; ; attempt++) {
      // A fresh read each time: never an answer cached or shared from before the conflict.
      const { notes } = await readNotes(backend, meetingId, { fresh: true });
      const content = typeof notes?.content === "string" ? notes.content : "";
      const version = notes?.version ?? 0;
      const appended = appendix(content, text);
      try {
        const result = (await backend.call(APPLY, {
          meetingId,
          operation: { type: "insert", position: content.length, content: appended },
          clientSequence: Number.MAX_SAFE_INTEGER,
          expectedVersion: version,
        })) as ApplyResult;
        if (!result.success) {
          throw new ToolFailure({ kind: "bad_response", url: backend.url, what: `${APPLY}: success is false` });
        }
        return {
          result,
          previousVersion: version,
          position: result.transformedOperation.position,
          appended,
          retriedAfterConflict: attempt > 1,
        };
      } catch (error) {
        if (!isConflict(error)) throw error;
        if (attempt >= 2) throw new ToolFailure({ kind: "conflict", resource: { table: "meetings", id: meetingId } });
      }
    }
  },
  shape(loaded, input, view) {
    const data = {
      asOf: iso(view.now),
      meetingId: input.meetingId,
      newVersion: loaded.result.newVersion,
      previousVersion: loaded.previousVersion,
      position: loaded.position,
      appendedChars: loaded.appended.length,
      notesChars: loaded.position + loaded.appended.length,
      retriedAfterConflict: loaded.retriedAfterConflict,
    };
    const lead = [
      `Added ${plural(data.appendedChars, "character")} at the end of the notes of meeting ${data.meetingId} (position ${data.position}); the notes are now version ${data.newVersion}.`,
      ...(data.retriedAfterConflict
        ? [
            "Someone else changed the notes between reading and writing, so connvo-mcp read them again once and added the text after their newer content.",
          ]
        : []),
      ...view.notes,
    ];
    return { lead, data };
  },
});
