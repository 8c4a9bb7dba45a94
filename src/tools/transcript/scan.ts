/**
 * Reading a range of a meeting's transcript from Connvo, bucket by bucket.
 *
 * Connvo's getTranscriptChunks without `bucketMs` only looks at the buckets of the last 30 minutes
 * counted back from now, and gives up at the first empty one of the two newest: a past meeting
 * comes back empty, and so does a live one whose current 5-minute bucket has no speech yet. So
 * every read here names its bucket: from the range's first bucket to its last, up to 200 chunks
 * per call (Connvo's maximum), following `sequence` within a bucket. A call budget bounds the work
 * of one answer; where it stops, the cursor continues.
 */
import { BUCKET_MS, bucketOf } from "./cursor.js";

/** A chunk as getTranscriptChunks returns it (absolute epoch-ms times). */
export interface TranscriptChunkRow {
  _id: string;
  sequence: number;
  speakerId?: string;
  text: string;
  confidence: number;
  startMs: number;
  endMs: number;
  wordCount: number;
  language?: string;
  createdAt: number;
}

/** Connvo's cap on one getTranscriptChunks call. */
export const CHUNKS_PER_CALL = 200;
/** getTranscriptChunks calls one answer may make (the page, then counting what is left). */
export const MAX_CHUNK_CALLS = 30;

export interface ScanPlan {
  /** Chunks whose startMs is in [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  /** Where to start: this bucket, sequences above `afterSequence`. */
  bucketMs: number;
  afterSequence: number;
  /** How many chunks of the meeting are left to see, when the range is the whole meeting. */
  remaining?: number;
  maxCalls?: number;
}

export interface ScanPosition {
  bucketMs: number;
  afterSequence: number;
}

export interface ScanResult {
  /** Chunks in the range, in reading order, up to the point where the page was full. */
  chunks: TranscriptChunkRow[];
  /** Chunks in the range found after the page was full (counted, not kept). */
  counted: number;
  /** The whole range was read (or counted). */
  finished: boolean;
  /** Where reading stopped. */
  next: ScanPosition;
  calls: number;
  /** Rows Connvo sent that did not have the documented shape (left out). */
  unreadable: number;
}

export type FetchBucket = (
  bucketMs: number,
  afterSequence: number,
) => Promise<{ rows: TranscriptChunkRow[]; unreadable: number }>;

/**
 * Reads the range from `plan`'s position until `isFull(chunks)` says the page cannot take more,
 * then keeps counting what is left in the range (unless the meeting's total already says it) while
 * the call budget lasts.
 */
export async function scanRange(
  plan: ScanPlan,
  fetchBucket: FetchBucket,
  isFull: (chunks: readonly TranscriptChunkRow[]) => boolean,
): Promise<ScanResult> {
  const maxCalls = plan.maxCalls ?? MAX_CHUNK_CALLS;
  const lastBucket = bucketOf(plan.toMs - 1);
  let bucketMs = Math.max(plan.bucketMs, bucketOf(plan.fromMs));
  let afterSequence = bucketMs === plan.bucketMs ? plan.afterSequence : 0;
  const chunks: TranscriptChunkRow[] = [];
  let counted = 0;
  let calls = 0;
  let unreadable = 0;
  let full = false;
  let finished = false;
  for (;;) {
    if (bucketMs > lastBucket || (plan.remaining !== undefined && chunks.length + counted >= plan.remaining)) {
      finished = true;
      break;
    }
    if (calls >= maxCalls) break;
    const page = await fetchBucket(bucketMs, afterSequence);
    calls += 1;
    unreadable += page.unreadable;
    let advanced = false;
    for (const row of page.rows) {
      // Defensive: Connvo answers ascending sequences above afterSequence, all of this bucket.
      if (row.sequence <= afterSequence || bucketOf(row.startMs) !== bucketMs) continue;
      afterSequence = row.sequence;
      advanced = true;
      if (row.startMs < plan.fromMs || row.startMs >= plan.toMs) continue;
      if (full) counted += 1;
      else chunks.push(row);
    }
    if (page.rows.length + page.unreadable < CHUNKS_PER_CALL || !advanced) {
      bucketMs += BUCKET_MS;
      afterSequence = 0;
    }
    if (!full && isFull(chunks)) {
      full = true;
      // The meeting's total tells what is left; otherwise keep counting while the budget lasts.
      if (plan.remaining !== undefined) break;
    }
  }
  return { chunks, counted, finished, next: { bucketMs, afterSequence }, calls, unreadable };
}
