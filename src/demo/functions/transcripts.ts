/**
 * Demo stand-ins for Connvo's transcript reads (convex/transcripts/ingestion.ts). Both are
 * MUTATIONS in Connvo's code although they only read, so they are served as mutations here too.
 *
 * getTranscriptChunks reads one of two ways, exactly as Connvo's handler does:
 * - with `bucketMs`: the chunks of that 5-minute bucket with `sequence > fromSequence`, ascending,
 *   at most min(limit, 200) (index by_meeting_bucket_seq);
 * - without it: TranscriptQueryOptimizer.queryTranscripts (convex/lib/queryOptimization.ts) with
 *   its default 30-minute window, i.e. min(ceil(30 min / 5 min), 12) = 6 buckets counted back
 *   from now. It stops at the first empty bucket among the two newest, and at any empty bucket
 *   after the third. So a meeting that ended yesterday answers [] (its buckets are never reached),
 *   and even a live meeting answers [] when nobody spoke in the current wall-clock bucket.
 * Rows are the chunk fields Connvo's handler maps out (no bucketMs, no meetingId).
 */
import type { DemoChunk } from "../world/transcripts.js";
import { BUCKET_MS } from "../world/transcripts.js";
import { assertMeetingAccess, defineDemoFunction } from "./context.js";

const INGESTION = "../convex/transcripts/ingestion.ts:886:4";
const STATS_SOURCE = "../convex/transcripts/ingestion.ts:1062:4";
/** TranscriptQueryOptimizer: 5-minute buckets, at most 12, default window 30 minutes. */
const OPTIMIZER_MAX_BUCKETS = Math.min(Math.ceil((30 * 60 * 1000) / BUCKET_MS), 12);
const MAX_TAKE = 200;

/** The fields Connvo's getTranscriptChunks returns for a chunk. */
function chunkRow(chunk: DemoChunk) {
  return {
    _id: chunk._id,
    sequence: chunk.sequence,
    ...(chunk.speakerId !== undefined ? { speakerId: chunk.speakerId } : {}),
    text: chunk.text,
    confidence: chunk.confidence,
    startMs: chunk.startMs,
    endMs: chunk.endMs,
    wordCount: chunk.wordCount,
    ...(chunk.language !== undefined ? { language: chunk.language } : {}),
    createdAt: chunk.createdAt,
  };
}

/** `.withIndex("by_meeting_bucket_seq", q => q.eq(bucketMs).gt(sequence, from)).take(n)` (ascending). */
function bucketRows(transcript: readonly DemoChunk[], bucketMs: number, fromSequence: number, take: number) {
  if (take <= 0) return [];
  return transcript
    .filter((c) => c.bucketMs === bucketMs && c.sequence > fromSequence)
    .sort((a, b) => a.sequence - b.sequence)
    .slice(0, take);
}

/** TranscriptQueryOptimizer.queryTranscripts, as Connvo calls it from getTranscriptChunks. */
function optimizerRows(transcript: readonly DemoChunk[], now: number, fromSequence: number, limit: number) {
  const buckets: number[] = [];
  for (let i = 0; i < OPTIMIZER_MAX_BUCKETS; i++)
    buckets.push(Math.floor((now - i * BUCKET_MS) / BUCKET_MS) * BUCKET_MS);
  const all: DemoChunk[] = [];
  let queried = 0;
  for (const bucketMs of buckets) {
    queried += 1;
    const rows = bucketRows(transcript, bucketMs, fromSequence, limit - all.length);
    all.push(...rows);
    if (all.length >= limit) break;
    if (queried <= 2 && rows.length === 0) break;
    if (queried > 3 && rows.length === 0) break;
  }
  return all.sort((a, b) => a.sequence - b.sequence).slice(0, limit);
}

export const getTranscriptChunks = defineDemoFunction({
  path: "transcripts/ingestion:getTranscriptChunks",
  kind: "mutation",
  source: INGESTION,
  run({ meetingId, fromSequence, limit, bucketMs }, call) {
    const { meeting } = assertMeetingAccess(call, meetingId, this.source);
    const from = typeof fromSequence === "number" ? fromSequence : 0;
    const take = Math.max(0, Math.floor(Math.min(typeof limit === "number" ? limit : 100, MAX_TAKE)));
    // Connvo tests `if (bucketMs)`: 0 and a missing bucket both take the optimizer's path.
    const rows = bucketMs
      ? bucketRows(meeting.transcript, bucketMs, from, take)
      : optimizerRows(meeting.transcript, call.now, from, take);
    return rows.map(chunkRow);
  },
});

export const getTranscriptStats = defineDemoFunction({
  path: "transcripts/ingestion:getTranscriptStats",
  kind: "mutation",
  source: STATS_SOURCE,
  run({ meetingId }, call) {
    const { meeting } = assertMeetingAccess(call, meetingId, this.source);
    const chunks = meeting.transcript;
    if (chunks.length === 0) {
      return {
        totalChunks: 0,
        totalWords: 0,
        averageConfidence: 0,
        duration: 0,
        speakers: [],
        languages: [],
        bucketCount: 0,
      };
    }
    const unique = (values: (string | undefined)[]) => [...new Set(values.filter((v): v is string => Boolean(v)))];
    return {
      totalChunks: chunks.length,
      totalWords: chunks.reduce((sum, c) => sum + c.wordCount, 0),
      averageConfidence: chunks.reduce((sum, c) => sum + c.confidence, 0) / chunks.length,
      duration: Math.max(...chunks.map((c) => c.endMs)) - Math.min(...chunks.map((c) => c.startMs)),
      speakers: unique(chunks.map((c) => c.speakerId)),
      languages: unique(chunks.map((c) => c.language)),
      bucketCount: new Set(chunks.map((c) => c.bucketMs)).size,
    };
  },
});
