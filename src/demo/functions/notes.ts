/**
 * Demo stand-ins for Connvo's meeting notes: the read (realtime/subscriptions.ts
 * subscribeMeetingNotes, a query) and the write (notes/mutations.ts applyNoteOperation, a
 * mutation with optimistic versioning and operational transform, notes/operations.ts).
 *
 * - subscribeMeetingNotes answers the materialized notes ({content: "", version: 0} when there are
 *   none yet). Connvo may answer `rateLimited: true` with empty content and version 0 when its
 *   bandwidth manager refuses an update; tests produce that answer with a `value` fault.
 * - applyNoteOperation: an `expectedVersion` other than the current version throws
 *   ConvexError {code: "CONFLICT", message: "Version mismatch: expected X, got Y", statusCode: 409};
 *   otherwise the operation is transformed against the logged operations with a sequence above
 *   `clientSequence`, applied (insert / delete / retain, with Connvo's bounds checks), logged, and
 *   the version goes up by one.
 */
import type { DemoNotes, WorldMeeting } from "../world/index.js";
import { assertMeetingAccess, convexError, defineDemoFunction } from "./context.js";

const SUBSCRIPTIONS = "../convex/realtime/subscriptions.ts:233:4";
const MUTATIONS = "../convex/notes/mutations.ts:130:4";

interface Operation {
  type: "insert" | "delete" | "retain";
  position: number;
  content?: string;
  length?: number;
}

/** The noteOps table of each meeting (by sequence). The seeded notes count as one insert at 0. */
const opLogs = new WeakMap<WorldMeeting, { sequence: number; operation: Operation }[]>();
function opLog(meeting: WorldMeeting) {
  let log = opLogs.get(meeting);
  if (!log) {
    log = meeting.notes?.content
      ? [{ sequence: 1, operation: { type: "insert", position: 0, content: meeting.notes.content } }]
      : [];
    opLogs.set(meeting, log);
  }
  return log;
}

/** permissionsForResource("meetingNotes", role) (convex/lib/permissions.ts). */
const notesPermissions = (role: string) =>
  role === "host" ? ["read", "write", "manage", "export"] : ["read", "write"];

export const subscribeMeetingNotes = defineDemoFunction({
  path: "realtime/subscriptions:subscribeMeetingNotes",
  kind: "query",
  source: SUBSCRIPTIONS,
  run({ meetingId }, call) {
    const { meeting, participant } = assertMeetingAccess(call, meetingId, this.source);
    // NotesQueryOptimizer.getMaterializedNotes: no document yet → "", version 0, updated now.
    const notes = meeting.notes ?? { content: "", version: 0, lastUpdated: call.now };
    return {
      content: notes.content,
      version: notes.version,
      lastUpdated: notes.lastUpdated,
      subscriptionValid: true,
      permissions: notesPermissions(participant.role),
      cursor: `${notes.version}_${call.now}`,
      rateLimited: false,
    };
  },
});

/** validateOperation (notes/operations.ts). */
function validOperation(op: Operation): boolean {
  if (!["insert", "delete", "retain"].includes(op.type)) return false;
  if (typeof op.position !== "number" || op.position < 0) return false;
  if (op.type === "insert") return typeof op.content === "string" && op.content.length > 0;
  if (op.type === "delete") return typeof op.length === "number" && op.length > 0;
  return typeof op.length === "number" && op.length >= 0;
}

/** applyToDoc (notes/operations.ts): throws Connvo's texts on bad positions. */
function applyToDoc(doc: string, op: Operation): string {
  switch (op.type) {
    case "insert":
      if (!op.content) throw new Error("Insert operation requires content");
      if (op.position < 0 || op.position > doc.length) throw new Error(`Invalid insert position: ${op.position}`);
      return doc.slice(0, op.position) + op.content + doc.slice(op.position);
    case "delete": {
      const length = op.length ?? 0;
      if (!length) throw new Error("Delete operation requires length");
      if (op.position < 0 || op.position >= doc.length) throw new Error(`Invalid delete position: ${op.position}`);
      if (op.position + length > doc.length) throw new Error("Delete operation exceeds document length");
      return doc.slice(0, op.position) + doc.slice(op.position + length);
    }
    case "retain":
      return doc;
  }
}

/** transformAgainst (notes/operations.ts) for the cases a notes log holds. */
function transformAgainst(a: Operation, b: Operation): Operation {
  const bLength = b.length ?? 0;
  const bInserted = b.content?.length ?? 0;
  if (a.type === "insert" && b.type === "insert") {
    if (b.position < a.position) return { ...a, position: a.position + bInserted };
    if (b.position === a.position && (b.content ?? "") < (a.content ?? ""))
      return { ...a, position: a.position + bInserted };
    return a;
  }
  if (a.type === "insert" && b.type === "delete") {
    if (a.position <= b.position) return a;
    if (a.position >= b.position + bLength) return { ...a, position: a.position - bLength };
    return { ...a, position: b.position };
  }
  if (a.type === "delete" && b.type === "insert") {
    const aLength = a.length ?? 0;
    if (b.position <= a.position) return { ...a, position: a.position + bInserted };
    if (b.position >= a.position + aLength) return a;
    return { ...a, length: aLength + bInserted };
  }
  if (a.type === "delete" && b.type === "delete") {
    const aEnd = a.position + (a.length ?? 0);
    const bEnd = b.position + bLength;
    if (aEnd <= b.position) return a;
    if (a.position >= bEnd) return { ...a, position: a.position - bLength };
    if (a.position < b.position) return { ...a, length: b.position - a.position + Math.max(0, aEnd - bEnd) };
    if (aEnd <= bEnd) return { type: "retain", position: a.position, length: 0 };
    return { ...a, position: a.position === b.position ? bEnd : b.position, length: aEnd - bEnd };
  }
  if (a.type === "retain") {
    if (b.type === "insert" && b.position <= a.position) return { ...a, position: a.position + bInserted };
    if (b.type === "delete") {
      if (b.position >= a.position + (a.length ?? 0)) return a;
      if (b.position + bLength <= a.position) return { ...a, position: a.position - bLength };
      if (b.position <= a.position) return { ...a, position: b.position };
    }
  }
  return a;
}

const validationError = (message: string, source: string): never =>
  convexError({ code: "VALIDATION_ERROR", message, statusCode: 400, metadata: {} }, source);

export const applyNoteOperation = defineDemoFunction({
  path: "notes/mutations:applyNoteOperation",
  kind: "mutation",
  source: MUTATIONS,
  run({ meetingId, operation, clientSequence, expectedVersion }, call) {
    const { meeting } = assertMeetingAccess(call, meetingId, this.source);
    const op = operation as Operation;
    if (!validOperation(op)) validationError("Invalid operation format", this.source);
    const log = opLog(meeting);
    meeting.notes ??= { content: "", version: 0, lastUpdated: call.now };
    const notes: DemoNotes = meeting.notes;
    if (expectedVersion !== undefined && expectedVersion !== notes.version) {
      const message = `Version mismatch: expected ${expectedVersion}, got ${notes.version}`;
      convexError({ code: "CONFLICT", message, statusCode: 409 }, this.source);
    }
    let transformed = op;
    const conflicts: string[] = [];
    for (const entry of log.filter((e) => e.sequence > clientSequence)) {
      const before = transformed;
      transformed = transformAgainst(transformed, entry.operation);
      if (
        before.position !== transformed.position ||
        before.type !== transformed.type ||
        (before.length ?? 0) !== (transformed.length ?? 0)
      ) {
        conflicts.push(`noteop-${meeting.key}-${entry.sequence}`);
      }
    }
    const serverSequence = (log.at(-1)?.sequence ?? 0) + 1;
    let content: string;
    try {
      content = applyToDoc(notes.content, transformed);
    } catch (error) {
      return validationError(`Failed to apply operation: ${error}`, this.source);
    }
    log.push({ sequence: serverSequence, operation: transformed });
    notes.content = content;
    notes.version += 1;
    notes.lastUpdated = call.now;
    return { success: true, serverSequence, transformedOperation: transformed, newVersion: notes.version, conflicts };
  },
});
