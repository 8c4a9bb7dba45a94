/**
 * get_prompts: the conversation prompts Connvo suggests for a meeting, before the call (precall)
 * or during it (incall); `auto` picks by the meeting's state. Unused prompts first, then the most
 * relevant, each with its ID (rate_prompt records feedback on one).
 */
import { z } from "zod";
import { ToolFailure } from "../core/failures.js";
import { countSchema, iso, isoTimeSchema, limitOption, plural } from "../present/fields.js";
import { clip, DEFAULT_DATA_BYTES, fitToBudget, MAX_DATA_BYTES } from "../present/size.js";
import { defineTool } from "./define.js";

const PRECALL = "prompts/queries:getPreCallPrompts";
const INCALL = "prompts/queries:getInCallPrompts";
const MEETING = "meetings/queries:getMeeting";
/** How many prompts to ask Connvo for (it takes the newest, then sorts by relevance). */
export const FETCH_LIMIT = 50;
export const PROMPT_DEFAULTS = { limit: 10 } as const;
const MAX_LIMIT = 50;
const MAX_TAGS = 5;

const PHASES = ["auto", "precall", "incall"] as const;
type Phase = (typeof PHASES)[number];
type MeetingState = "scheduled" | "active" | "concluded" | "cancelled";

export interface PromptRow {
  _id: string;
  content: string;
  tags: string[];
  relevance: number;
  usedAt?: number;
  feedback?: "used" | "dismissed" | "upvoted";
  createdAt: number;
}

interface Input {
  meetingId: string;
  phase: Phase;
  limit: number;
  offset: number;
}

const STATUSES = ["new", "upvoted", "used", "dismissed"] as const;
type Status = (typeof STATUSES)[number];

const promptSchema = z.object({
  promptId: z.string(),
  text: z.string(),
  /** 0-1, Connvo's relevance score. */
  relevance: z.number(),
  /** new: no feedback yet; upvoted, used, dismissed: the feedback recorded. */
  status: z.enum(STATUSES),
  tags: z.array(z.string()),
  createdAt: isoTimeSchema,
  usedAt: isoTimeSchema.optional(),
});

const outputSchema = z.object({
  asOf: isoTimeSchema,
  meetingId: z.string(),
  phase: z.enum(["precall", "incall"]),
  /** Why this phase: asked for, or picked from the meeting's state. */
  phaseFrom: z.enum(["asked", "meeting_live", "meeting_not_live"]),
  meetingState: z.enum(["scheduled", "live", "ended", "cancelled"]).optional(),
  counts: z.object({
    prompts: countSchema,
    new: countSchema,
    upvoted: countSchema,
    used: countSchema,
    dismissed: countSchema,
  }),
  prompts: z.array(promptSchema),
  /** Prompts not listed (offset, limit or answer size). */
  omitted: countSchema,
  unreadable: countSchema.optional(),
  /** Connvo returned its maximum: older prompts may exist. */
  mayHaveMore: z.boolean().optional(),
});

export type PromptsData = z.infer<typeof outputSchema>;

const STATE_WORDS = { scheduled: "scheduled", active: "live", concluded: "ended", cancelled: "cancelled" } as const;
const RANK: Record<Status, number> = { new: 0, upvoted: 0, used: 1, dismissed: 2 };

function statusOf(row: PromptRow): Status {
  if (row.feedback) return row.feedback;
  return row.usedAt !== undefined ? "used" : "new";
}

const relevanceOf = (value: number) =>
  Number.isFinite(value) ? Math.round(Math.min(1, Math.max(0, value)) * 100) / 100 : 0;

export interface LoadedPrompts {
  rows: PromptRow[];
  unreadable: number;
  phase: "precall" | "incall";
  phaseFrom: PromptsData["phaseFrom"];
  meetingState?: MeetingState;
}

export function shapePrompts(loaded: LoadedPrompts, input: Input, now: number): PromptsData {
  const ordered = loaded.rows
    .map((row) => ({ row, status: statusOf(row), relevance: relevanceOf(row.relevance) }))
    .sort(
      (a, b) =>
        RANK[a.status] - RANK[b.status] ||
        b.relevance - a.relevance ||
        b.row.createdAt - a.row.createdAt ||
        (a.row._id < b.row._id ? -1 : a.row._id > b.row._id ? 1 : 0),
    );
  const counts = { prompts: ordered.length, new: 0, upvoted: 0, used: 0, dismissed: 0 };
  for (const p of ordered) counts[p.status] += 1;
  // Only the window [offset, offset + limit) can be shown: sanitise just that, whatever the size.
  const window = ordered.slice(input.offset, input.offset + input.limit);
  const prompts = window.map(({ row, status, relevance }) => ({
    promptId: row._id,
    text: clip(row.content, 500, 1_000, "prose").text,
    relevance,
    status,
    tags: row.tags
      .slice(0, MAX_TAGS)
      .map((tag) => clip(tag, 40, 80).text)
      .filter(Boolean),
    createdAt: iso(row.createdAt),
    ...(row.usedAt !== undefined ? { usedAt: iso(row.usedAt) } : {}),
  }));
  const budget = input.limit === PROMPT_DEFAULTS.limit ? DEFAULT_DATA_BYTES : MAX_DATA_BYTES;
  const mayHaveMore = loaded.rows.length + loaded.unreadable >= FETCH_LIMIT;
  const make = (k: number): PromptsData => {
    const shown = prompts.slice(0, k);
    return {
      asOf: iso(now),
      meetingId: input.meetingId,
      phase: loaded.phase,
      phaseFrom: loaded.phaseFrom,
      ...(loaded.meetingState ? { meetingState: STATE_WORDS[loaded.meetingState] } : {}),
      counts,
      prompts: shown,
      omitted: ordered.length - shown.length,
      ...(loaded.unreadable > 0 ? { unreadable: loaded.unreadable } : {}),
      ...(mayHaveMore ? { mayHaveMore } : {}),
    };
  };
  return fitToBudget(input.limit, make, budget);
}

export function promptsLead(data: PromptsData, input: Input): string[] {
  const c = data.counts;
  const why =
    data.phaseFrom === "asked"
      ? ""
      : data.phaseFrom === "meeting_live"
        ? " (phase auto: the meeting is live)"
        : ` (phase auto: the meeting is ${data.meetingState ?? "not live"})`;
  const lead = [
    c.prompts === 0
      ? `Meeting ${data.meetingId} has no ${data.phase} prompts${why} as of ${data.asOf}.`
      : `Meeting ${data.meetingId} has ${plural(c.prompts, `${data.phase} prompt`)}${why} as of ${data.asOf}: ${c.new} new, ${c.upvoted} upvoted, ${c.used} used, ${c.dismissed} dismissed. Showing ${data.prompts.length}, unused first, then by relevance.`,
  ];
  if (data.omitted > 0) {
    const next = input.offset + data.prompts.length;
    lead.push(
      next < c.prompts
        ? `${c.prompts - next} more after these: ${input.limit < MAX_LIMIT ? `raise limit (up to ${MAX_LIMIT}) or ` : ""}pass offset ${next}.`
        : `Offset ${input.offset} skips the first ${Math.min(input.offset, c.prompts)}${input.offset >= c.prompts ? ", past the last prompt" : ""}.`,
    );
  }
  if (data.phaseFrom !== "asked") {
    lead.push(`For the other phase, pass phase ${data.phase === "incall" ? "precall" : "incall"}.`);
  }
  if (data.unreadable)
    lead.push(`${plural(data.unreadable, "prompt")} from Connvo could not be read and were left out.`);
  if (data.mayHaveMore)
    lead.push(`Connvo returned its maximum of ${FETCH_LIMIT} prompts; older ones are not included.`);
  return lead;
}

export const getPrompts = defineTool({
  name: "get_prompts",
  title: "Conversation prompts for a Connvo meeting",
  toolset: "prompts",
  description: [
    "The conversation prompts Connvo suggests for one meeting: questions and reminders to raise before the call (precall) or during it (incall).",
    "Use it when asked what to bring up, how to prepare for a meeting, or for talking points in a live call.",
    'phase "auto" (default) picks incall for a live meeting and precall otherwise.',
    "Returns per prompt: promptId, text, relevance (0-1), status (new, upvoted, used, dismissed), tags; unused prompts first, then by relevance; and counts per status.",
    `Limits: at most \`limit\` prompts (default ${PROMPT_DEFAULTS.limit}; \`offset\` reads further) of the newest ${FETCH_LIMIT} Connvo returns; only a participant of the meeting may read them.`,
    "Read-only.",
  ].join(" "),
  operations: [PRECALL, INCALL, MEETING],
  args: { from: PRECALL, pick: ["meetingId"] },
  options: {
    phase: z
      .enum(PHASES)
      .default("auto")
      .describe("auto (default): incall while the meeting is live, precall otherwise; precall; incall."),
    limit: limitOption(PROMPT_DEFAULTS.limit, MAX_LIMIT, "prompts"),
    offset: z
      .number()
      .int()
      .min(0)
      .max(FETCH_LIMIT)
      .default(0)
      .describe("Skip this many prompts of the ordered list (default 0), to read past an earlier answer."),
  },
  output: outputSchema,
  annotations: {
    title: "Conversation prompts for a Connvo meeting",
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  async load(input: Input, backend): Promise<LoadedPrompts> {
    let phase: "precall" | "incall";
    let phaseFrom: PromptsData["phaseFrom"] = "asked";
    let meetingState: MeetingState | undefined;
    if (input.phase === "auto") {
      const meeting = (await backend.call(MEETING, { meetingId: input.meetingId })) as { state: MeetingState } | null;
      if (meeting === null)
        throw new ToolFailure({ kind: "not_found", resource: { table: "meetings", id: input.meetingId } });
      meetingState = meeting.state;
      phase = meeting.state === "active" ? "incall" : "precall";
      phaseFrom = phase === "incall" ? "meeting_live" : "meeting_not_live";
    } else {
      phase = input.phase;
    }
    const { rows, unreadable } = await backend.list<PromptRow>(phase === "incall" ? INCALL : PRECALL, {
      meetingId: input.meetingId,
      limit: FETCH_LIMIT,
    });
    return { rows, unreadable, phase, phaseFrom, ...(meetingState ? { meetingState } : {}) };
  },
  shape(loaded, input, view) {
    const data = shapePrompts(loaded, input, view.now);
    return { lead: [...promptsLead(data, input), ...view.notes], data };
  },
});
