/**
 * rate_prompt (write): records the user's feedback on a conversation prompt: used, dismissed or
 * upvoted. Connvo's updatePromptFeedback patches the prompt's feedback (and, for "used", usedAt
 * = now) after checking that the caller is a participant of the prompt's meeting.
 *
 * Idempotent: the same feedback twice leaves the prompt as one call would (only usedAt moves to
 * the later call; Connvo also writes one audit entry per call). So the call is declared
 * idempotent and retried like a read on a transient failure.
 */
import { z } from "zod";
import { iso, isoTimeSchema } from "../present/fields.js";
import { defineTool } from "./define.js";

const FEEDBACK = "prompts/mutations:updatePromptFeedback";
const VALUES = ["used", "dismissed", "upvoted"] as const;

interface Input {
  promptId: string;
  feedback: (typeof VALUES)[number];
}

const outputSchema = z.object({
  asOf: isoTimeSchema,
  promptId: z.string(),
  feedback: z.enum(VALUES),
  recorded: z.literal(true),
});

export type RatedData = z.infer<typeof outputSchema>;

export function shapeRated(input: Input, now: number): RatedData {
  return { asOf: iso(now), promptId: input.promptId, feedback: input.feedback, recorded: true };
}

export const ratePrompt = defineTool({
  name: "rate_prompt",
  title: "Rate a Connvo conversation prompt",
  toolset: "prompts",
  description: [
    'Records the user\'s feedback on one conversation prompt: "used" (it was raised; also stamps when), "dismissed" (not useful) or "upvoted" (useful).',
    "Use it when the user says they used, liked or want to hide a prompt from get_prompts; pass its promptId.",
    "Returns the prompt ID and the feedback recorded; a later get_prompts shows the new status.",
    "Limits: one prompt per call; the feedback replaces any earlier feedback on that prompt; only a participant of the prompt's meeting may rate it.",
    "Changes Connvo data: the prompt's feedback. Recording the same feedback again is harmless.",
  ].join(" "),
  operations: [FEEDBACK],
  args: { from: FEEDBACK },
  output: outputSchema,
  annotations: {
    title: "Rate a Connvo conversation prompt",
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  async load(input: Input, backend) {
    await backend.call(FEEDBACK, { promptId: input.promptId, feedback: input.feedback }, { idempotent: true });
    return null;
  },
  shape(_loaded, input, view) {
    const data = shapeRated(input, view.now);
    return {
      lead: [`Recorded "${data.feedback}" for prompt ${data.promptId} as of ${data.asOf}.`, ...view.notes],
      data,
    };
  },
});
