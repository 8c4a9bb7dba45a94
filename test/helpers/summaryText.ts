/** The text block get_active_sessions answers for a summary, through the real render path. */
import { renderAnswer } from "../../src/present/render.js";
import { summaryLead } from "../../src/summary/render.js";
import type { ActiveSessionsSummary } from "../../src/summary/schema.js";
import { resultText } from "./results.js";

export const renderSummaryText = (summary: ActiveSessionsSummary): string =>
  resultText(renderAnswer({ lead: summaryLead(summary), data: summary }));
