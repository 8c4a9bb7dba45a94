/**
 * get_meeting_summary: the signed-in user's insights for one meeting (summary, action items,
 * recommendations, links), or "not generated yet": Connvo answers null until it generates them
 * after the meeting ends, and each participant sees only their own.
 */
import { z } from "zod";
import { sanitizeHttpsUrl } from "../core/sanitize.js";
import { countSchema, iso, isoTimeSchema, plural } from "../present/fields.js";
import { clip, DEFAULT_DATA_BYTES, fitToBudget, MAX_DATA_BYTES } from "../present/size.js";
import { defineTool } from "./define.js";

// ---------------------------------------------------------------------------------------------
// get_meeting_summary
// ---------------------------------------------------------------------------------------------

const INSIGHTS = "insights/queries:getMeetingInsights";
export const SUMMARY_DEFAULTS = { limit: 10, maxChars: 2_000 } as const;
const MAX_LIMIT = 100;
const MAX_CHARS = 12_000;

export interface InsightDoc {
  _id: string;
  summary: string;
  actionItems: string[];
  recommendations: { type: string; content: string; confidence: number }[];
  links: { type: string; url: string; title: string }[];
  createdAt: number;
  meetingTitle: string;
  meetingDate: number;
}

interface Input {
  meetingId: string;
  limit: number;
  offset: number;
  maxChars: number;
}

const listCounts = z.object({ actionItems: countSchema, recommendations: countSchema, links: countSchema });

const outputSchema = z.object({
  asOf: isoTimeSchema,
  meetingId: z.string(),
  /** ready: Connvo has generated the user's insights; not_generated: it has not (yet). */
  status: z.enum(["ready", "not_generated"]),
  meeting: z.object({ title: z.string(), date: isoTimeSchema }).optional(),
  generatedAt: isoTimeSchema.optional(),
  summary: z.string().optional(),
  /** The summary was cut (raise maxChars). */
  summaryCut: z.boolean().optional(),
  actionItems: z.array(z.string()),
  recommendations: z.array(z.object({ type: z.string(), content: z.string(), confidence: z.number() })),
  links: z.array(z.object({ type: z.string(), title: z.string(), url: z.string() })),
  /** How many of each Connvo has. */
  counts: listCounts,
  /** How many of each are not in this answer (offset, limit or size). */
  omitted: listCounts,
  /** Pass as offset to read the next items of the lists; absent when nothing is left. */
  nextOffset: countSchema.optional(),
  /** Links left out because they are not plain https URLs. */
  unsafeLinks: countSchema.optional(),
});

export type SummaryData = z.infer<typeof outputSchema>;

const confidenceOf = (value: number) =>
  Number.isFinite(value) ? Math.round(Math.min(1, Math.max(0, value)) * 100) / 100 : 0;

const usesDefaults = (input: Pick<Input, "limit" | "maxChars">) =>
  input.limit === SUMMARY_DEFAULTS.limit && input.maxChars === SUMMARY_DEFAULTS.maxChars;

export function shapeSummary(doc: InsightDoc | null, input: Input, now: number): SummaryData {
  const empty = { actionItems: 0, recommendations: 0, links: 0 };
  if (doc === null) {
    return {
      asOf: iso(now),
      meetingId: input.meetingId,
      status: "not_generated",
      actionItems: [],
      recommendations: [],
      links: [],
      counts: empty,
      omitted: empty,
    };
  }
  const defaults = usesDefaults(input);
  const budget = defaults ? DEFAULT_DATA_BYTES : MAX_DATA_BYTES;
  // The summary gets a fixed part of the budget, the lists the rest.
  const summary = clip(doc.summary, input.maxChars, defaults ? 2_000 : MAX_DATA_BYTES - 6_000, "prose");
  const counts = {
    actionItems: doc.actionItems.length,
    recommendations: doc.recommendations.length,
    links: doc.links.length,
  };
  // Only the window [offset, offset + limit) can be shown: sanitise just that, whatever the size.
  const window = <T>(items: readonly T[]) => items.slice(input.offset, input.offset + input.limit);
  const actionItems = window(doc.actionItems).map((item) => clip(item, 300, 600).text);
  const recommendations = window(
    doc.recommendations
      .map((r, i) => ({ r, i, confidence: confidenceOf(r.confidence) }))
      .sort((a, b) => b.confidence - a.confidence || a.i - b.i),
  ).map(({ r, confidence }) => ({
    type: clip(r.type, 40, 80).text,
    content: clip(r.content, 300, 600).text,
    confidence,
  }));
  const links = window(doc.links).map((link) => {
    const url = sanitizeHttpsUrl(link.url, 500);
    return url ? { type: clip(link.type, 40, 80).text, title: clip(link.title, 120, 300).text, url } : undefined;
  });
  const make = (k: number): SummaryData => {
    const shown = {
      actionItems: actionItems.slice(0, k).filter(Boolean),
      recommendations: recommendations.slice(0, k).filter((r) => r.content),
      links: links.slice(0, k).filter((l) => l !== undefined),
    };
    const unsafeLinks = links.slice(0, k).filter((l) => l === undefined).length;
    const next = input.offset + k;
    const more = k > 0 && Math.max(counts.actionItems, counts.recommendations, counts.links) > next;
    return {
      asOf: iso(now),
      meetingId: input.meetingId,
      status: "ready",
      meeting: { title: clip(doc.meetingTitle, 120, 300).text, date: iso(doc.meetingDate) },
      generatedAt: iso(doc.createdAt),
      summary: summary.text,
      ...(summary.cut ? { summaryCut: true } : {}),
      ...shown,
      counts,
      omitted: {
        actionItems: counts.actionItems - shown.actionItems.length,
        recommendations: counts.recommendations - shown.recommendations.length,
        links: counts.links - shown.links.length,
      },
      ...(more ? { nextOffset: next } : {}),
      ...(unsafeLinks > 0 ? { unsafeLinks } : {}),
    };
  };
  return fitToBudget(input.limit, make, budget);
}

/** The lead: numbers and fixed words only. */
export function summaryLead(data: SummaryData, input: Input): string[] {
  if (data.status === "not_generated") {
    return [
      `No summary has been generated yet for meeting ${data.meetingId} (as of ${data.asOf}).`,
      "Connvo generates each participant's summary, action items and recommendations after the meeting ends, so a live or upcoming meeting has none yet; ask again after it ends.",
    ];
  }
  const c = data.counts;
  const lead = [
    `Summary of meeting ${data.meetingId}, generated ${data.generatedAt} (as of ${data.asOf}): ${plural(c.actionItems, "action item")}, ${plural(c.recommendations, "recommendation")}, ${plural(c.links, "link")}.`,
  ];
  const o = data.omitted;
  if (o.actionItems + o.recommendations + o.links > 0) {
    const shown = data.actionItems.length + data.recommendations.length + data.links.length;
    const how =
      data.nextOffset !== undefined
        ? ` ${input.limit < MAX_LIMIT ? `Raise limit (up to ${MAX_LIMIT}) or pass` : "Pass"} offset ${data.nextOffset} for the next ones.`
        : input.offset > 0
          ? ` Offset ${input.offset} skips the first ones${input.offset >= Math.max(c.actionItems, c.recommendations, c.links) ? " and is past the end of the lists" : ""}.`
          : shown === 0
            ? " The summary fills the answer: lower maxChars or raise limit to make room for the lists."
            : "";
    lead.push(
      `Not shown: ${plural(o.actionItems, "action item")}, ${plural(o.recommendations, "recommendation")}, ${plural(o.links, "link")}.${how}`,
    );
  }
  if (data.summaryCut) {
    lead.push(
      `The summary was cut at ${[...(data.summary ?? "")].length} characters; raise maxChars (up to ${MAX_CHARS}) to read more of it.`,
    );
  }
  if (data.unsafeLinks) lead.push(`${plural(data.unsafeLinks, "link")} that are not plain https URLs were left out.`);
  return lead;
}

export const getMeetingSummary = defineTool({
  name: "get_meeting_summary",
  title: "A Connvo meeting's summary and action items",
  toolset: "insights",
  description: [
    "The signed-in user's summary of one Connvo meeting: the summary text, action items, recommendations (with confidence, highest first) and links.",
    "Use it when asked what was decided or what came out of a past meeting, for a recap, or for the next steps of one meeting (for action items across meetings use list_action_items).",
    'Returns status "ready" with the insights, or "not_generated" when Connvo has not generated them yet (it does so after the meeting ends).',
    `Limits: at most \`limit\` items per list (default ${SUMMARY_DEFAULTS.limit}; \`offset\` reads further) and \`maxChars\` characters of summary (default ${SUMMARY_DEFAULTS.maxChars}), with counts of what was left out; only a participant of the meeting may read it, and each participant sees only their own insights.`,
    "Read-only.",
  ].join(" "),
  operations: [INSIGHTS],
  args: { from: INSIGHTS },
  options: {
    limit: z
      .number()
      .int()
      .min(1)
      .max(MAX_LIMIT)
      .default(SUMMARY_DEFAULTS.limit)
      .describe(
        `Most action items, recommendations and links to return, each (1-${MAX_LIMIT}, default ${SUMMARY_DEFAULTS.limit}); the answer counts what was left out.`,
      ),
    offset: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .default(0)
      .describe("Skip this many items of each list (default 0), to read past an earlier answer."),
    maxChars: z
      .number()
      .int()
      .min(100)
      .max(MAX_CHARS)
      .default(SUMMARY_DEFAULTS.maxChars)
      .describe(
        `Most characters of the summary text to return (100-${MAX_CHARS}, default ${SUMMARY_DEFAULTS.maxChars}); a cut is marked with summaryCut.`,
      ),
  },
  output: outputSchema,
  annotations: {
    title: "A Connvo meeting's summary and action items",
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  async load(input: Input, backend) {
    return (await backend.call(INSIGHTS, { meetingId: input.meetingId })) as InsightDoc | null;
  },
  shape(doc, input, view) {
    const data = shapeSummary(doc, input, view.now);
    return { lead: [...summaryLead(data, input), ...view.notes], data };
  },
});
