/**
 * One request to the deployment, in Convex's HTTP wire protocol (what `ConvexHttpClient` sends:
 * POST /api/query|mutation|action, `{path, format: "convex_encoded_json", args: [args]}`, the
 * answer `{status: "success", value}` or `{status: "error", errorMessage, errorData?}` with 200 or
 * 560), made here rather than through a `ConvexHttpClient` per request because the client costs
 * ~0.1 ms of CPU per call on top of the HTTP round trip (BENCHMARKS.md, figure 2), mostly
 * `jsonToConvex` walking every answer and a Response it cannot avoid reading as a stream. The
 * values still go through convex's own `convexToJson`/`jsonToConvex` whenever they can hold an
 * encoded value, and a thrown function still surfaces as convex's `ConvexError` with its data.
 *
 * Added to what the client does: abortion, the HTTP status of failures (it throws only the body
 * text), a size limit on the answer (it buffers whatever comes), and no logging at all.
 */
import { version as CONVEX_CLIENT_VERSION } from "convex";
import { ConvexError, convexToJson, jsonToConvex, type Value } from "convex/values";
import type { CancelSignal } from "../core/cancel.js";
import { ToolFailure } from "../core/failures.js";
import { HttpStatusError } from "./classify.js";
import { type Exchange, exchangeViaFetch } from "./exchange.js";

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** A Convex function's kind; each has its own endpoint (/api/query, /api/mutation, /api/action). */
export type FunctionKind = "query" | "mutation" | "action";

const MAX_ERROR_BODY_BYTES = 8 * 1024;
const UDF_FAILED = 560; // Convex's status for a function that threw; the client parses its body.
const CONVEX_CLIENT = `npm-${CONVEX_CLIENT_VERSION}`;

export interface CallRequest {
  url: string;
  token: string;
  kind: FunctionKind;
  functionPath: string;
  args: Record<string, unknown>;
  signal: CancelSignal;
  fetch: FetchLike;
  maxResponseBytes: number;
}

export interface Answer {
  value: unknown;
  /** Size of the body it was parsed from (the cache budgets memory with it). */
  bytes: number;
}

/**
 * Convex's JSON encoding marks the values JSON cannot carry (int64, bytes, special floats) as
 * objects with one `$`-key, and a field name may not start with `$`: an answer whose text has no
 * `"$` anywhere is its own value, and `jsonToConvex` (which copies every object) is skipped.
 */
function decodeValue(value: unknown, text: string): unknown {
  return hasQuotedDollar(text) ? jsonToConvex(value as never) : value;
}

/**
 * Whether `"$` occurs in `text`: what `text.includes('"$')` says, found by searching for the one
 * character, which V8 does ~50x faster than a two-character search (0.06 vs 3.7 µs on a 7 KB answer).
 */
export function hasQuotedDollar(text: string): boolean {
  for (let at = text.indexOf("$"); at >= 0; at = text.indexOf("$", at + 1)) {
    if (at > 0 && text.charCodeAt(at - 1) === 0x22) return true;
  }
  return false;
}

/**
 * A token that cannot be sent as it is, caught before any request: fetch would throw a TypeError
 * that reads like a network failure (and would be retried as one). A placeholder left in an example
 * configuration is refused here too, so it is never sent to Connvo.
 */
export function checkTokenSendable(token: string): void {
  if (isPlaceholderToken(token)) throw new ToolFailure({ kind: "token_placeholder" });
  for (let position = 0; position < token.length; position++) {
    const codePoint = token.codePointAt(position) ?? 0;
    if (codePoint < 0x20 || codePoint === 0x7f) {
      throw new ToolFailure({ kind: "token_unsendable", problem: "control", position, codePoint });
    }
    if (codePoint > 0x7e)
      throw new ToolFailure({ kind: "token_unsendable", problem: "non_ascii", position, codePoint });
  }
}

/**
 * "<your Connvo access token>" (README, mcp.json, `npm run mcp-config`), any other `<...>`, or an
 * unexpanded `${...}` of a client's configuration (`${input:connvo-token}`, `${user_config.x}`).
 * A JWT never starts with `<` or `$`.
 */
export function isPlaceholderToken(token: string): boolean {
  return /^<[^<>]*>$/.test(token) || /^\$\{[^{}]*\}$/.test(token);
}

/** The fetch's own exchange when it has one (connvo-mcp's, fetch.ts), the same exchange over it otherwise. */
function exchangeFor(fetch: FetchLike): Exchange {
  const own = (fetch as { exchange?: Exchange }).exchange;
  return own ?? ((request) => exchangeViaFetch(fetch, request));
}

export async function callOnce(request: CallRequest): Promise<Answer> {
  checkTokenSendable(request.token);
  const maxBytes = request.maxResponseBytes;
  const answered = await exchangeFor(request.fetch)({
    url: `${request.url}/api/${request.kind}`,
    body: JSON.stringify({
      path: request.functionPath,
      format: "convex_encoded_json",
      args: [convexToJson(request.args as Value)],
    }),
    headers: {
      "content-type": "application/json",
      "convex-client": CONVEX_CLIENT,
      authorization: `Bearer ${request.token}`,
    },
    signal: request.signal,
    // A failure's text is only read for its first 8 KB; an answer (or a thrown function) whole.
    limit: (status) =>
      (status >= 200 && status <= 299) || status === UDF_FAILED
        ? { bytes: maxBytes, truncate: false }
        : { bytes: MAX_ERROR_BODY_BYTES, truncate: true },
  });
  const { status, text, bytes } = answered;
  if ((status < 200 || status > 299) && status !== UDF_FAILED) {
    throw new HttpStatusError(status, text, answered.header("retry-after"));
  }
  const answer = JSON.parse(text) as { status?: unknown; value?: unknown; errorMessage?: string; errorData?: unknown };
  switch (answer.status) {
    case "success":
      return { value: decodeValue(answer.value, text), bytes };
    case "error": {
      if (answer.errorData !== undefined) {
        const error = new ConvexError(answer.errorMessage as never) as ConvexError<Value>;
        error.data = decodeValue(answer.errorData, text) as Value;
        throw error;
      }
      throw new Error(answer.errorMessage);
    }
    default:
      throw new Error(`Invalid response: ${JSON.stringify(answer)}`);
  }
}
