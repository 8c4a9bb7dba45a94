/**
 * Small, pure building blocks the tools' shape functions share, so every answer writes times,
 * durations, people and bounded lists the same way. User-written text always goes through
 * `label` (short, single line) or `prose` (longer, keeps line breaks): both are untrusted data.
 */
import { z } from "zod";
import { ToolFailure } from "../core/failures.js";
import { sanitizeMultiline, sanitizeText, shortUserId } from "../core/sanitize.js";

/** An ISO 8601 UTC time (zod's z.iso.datetime() would advertise a 300-character regex per field). */
export const isoTimeSchema = z
  .string()
  .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
  .meta({ format: "date-time" });

export const iso = (ms: number) => new Date(ms).toISOString();

/** A plain non-negative number (z.number().int() would advertise MAX_SAFE_INTEGER on every count). */
export const countSchema = z.number().min(0);

export const timeZoneOption = z
  .string()
  .max(64)
  .optional()
  .describe('IANA time zone for local times in the answer, e.g. "Europe/Berlin" (default UTC).');

/** Throws an invalid_argument failure (before any request) unless `timeZone` is a zone Intl knows. */
export function assertTimeZone(timeZone: string | undefined): void {
  if (timeZone === undefined) return;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
  } catch {
    throw new ToolFailure({
      kind: "invalid_argument",
      argument: "timeZone",
      problem: `"${sanitizeText(timeZone, 64)}" is not an IANA time zone name. Use one like "America/New_York" or "UTC".`,
    });
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** "Tue 14:30" style local time: weekday, date and 24-hour time in `timeZone`. */
export function localTime(ms: number, timeZone = "UTC"): string {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      weekday: "short",
      day: "numeric",
      month: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
    if (formatters.size > 64) formatters.clear();
    formatters.set(timeZone, format);
  }
  return `${format.format(new Date(ms))} ${timeZone}`;
}

/** The calendar day of `ms` in `timeZone`, as YYYY-MM-DD (for "today" filters). */
export function localDay(ms: number, timeZone = "UTC"): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(
    new Date(ms),
  );
}

/** "4 min", "1 h 5 min", "45 s". */
export function humanDuration(totalSec: number): string {
  const sec = Math.max(0, Math.round(totalSec));
  if (sec < 60) return `${sec} s`;
  const min = Math.round(sec / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`;
}

/** "07:05" / "1:02:03": a position from a start. */
export function clock(sec: number): string {
  const s = Math.max(0, Math.floor(sec));
  const two = (n: number) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600);
  return h > 0
    ? `${h}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`
    : `${two(Math.floor(s / 60))}:${two(s % 60)}`;
}

/** A short single-line label from user text (names, titles). */
export const label = (value: unknown, max = 120) => sanitizeText(value, max);

/** Longer user text that keeps its line breaks (notes, summaries, transcript lines). */
export const prose = (value: unknown, max: number) => sanitizeMultiline(value, max);

/** A person's name for an answer: their sanitised display name, or "user …abc123". */
export const personName = (displayName: unknown, userId: string) => label(displayName, 64) || shortUserId(userId);

/** The first `limit` items and how many were left out. */
export function bounded<T>(items: readonly T[], limit: number): { items: T[]; omitted: number } {
  const kept = items.slice(0, Math.max(0, limit));
  return { items: kept, omitted: items.length - kept.length };
}

/** "3 meetings", "1 meeting". */
export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A limit option: 1..max, default `fallback`, described the same way everywhere. */
export function limitOption(fallback: number, max: number, what: string) {
  return z
    .number()
    .int()
    .min(1)
    .max(max)
    .default(fallback)
    .describe(`Most ${what} to return (1-${max}, default ${fallback}); the answer counts what was left out.`);
}
