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
import { ToolFailure } from "../core/failures.js";
import { readBodyLimited } from "./bodyLimit.js";
import { HttpStatusError } from "./classify.js";

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** A Convex function's kind; each has its own endpoint (/api/query, /api/mutation, /api/action). */
export type FunctionKind = "query" | "mutation" | "action";

const MAX_ERROR_BODY_BYTES = 8 * 1024;
const UDF_FAILED = 560; // Convex's status for a function that threw; the client parses its body.

export interface CallRequest {
  url: string;
  token: string;
  kind: FunctionKind;
  functionPath: string;
  args: Record<string, unknown>;
  signal: AbortSignal;
  fetch: FetchLike;
  maxResponseBytes: number;
}

export interface Answer {
  value: unknown;
  /** Size of the body it was parsed from (the cache budgets memory with it). */
  bytes: number;
}

/** Header lookups without building a web `Headers` when the response is connvo-mcp's own (fetch.ts). */
function header(response: Response, name: string): string | undefined {
  const fast = (response as { rawHeader?: (name: string) => string | undefined }).rawHeader;
  return fast ? fast.call(response, name) : (response.headers.get(name) ?? undefined);
}

/** No Content-Encoding (or `identity`): the body's bytes are the bytes on the wire. */
function isIdentityEncoded(response: Response): boolean {
  const encoding = header(response, "content-encoding")?.trim().toLowerCase();
  return !encoding || encoding === "identity";
}

/**
 * The answer's text within the size limit. A declared length within the limit is enforced by the
 * HTTP parser itself, so the body is read as it is; with Content-Encoding the length counts
 * compressed bytes while fetch inflates what it reads (a 400 KB gzip bomb is 400 MB decoded), so
 * those, and bodies of unknown length, are read counting decoded bytes.
 */
async function readAnswerText(response: Response, maxBytes: number): Promise<{ text: string; bytes: number }> {
  const declared = Number(header(response, "content-length") ?? Number.NaN);
  if (isIdentityEncoded(response) && Number.isInteger(declared) && declared >= 0 && declared <= maxBytes) {
    return { text: await response.text(), bytes: declared };
  }
  const body = await readBodyLimited(response, maxBytes);
  return { text: new TextDecoder().decode(body), bytes: body.byteLength };
}

/**
 * Convex's JSON encoding marks the values JSON cannot carry (int64, bytes, special floats) as
 * objects with one `$`-key, and a field name may not start with `$`: an answer whose text has no
 * `"$` anywhere is its own value, and `jsonToConvex` (which copies every object) is skipped.
 */
function decodeValue(value: unknown, text: string): unknown {
  return text.includes('"$') ? jsonToConvex(value as never) : value;
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

export async function callOnce(request: CallRequest): Promise<Answer> {
  checkTokenSendable(request.token);
  const body = JSON.stringify({
    path: request.functionPath,
    format: "convex_encoded_json",
    args: [convexToJson(request.args as Value)],
  });
  // redirect "error": a deployment never redirects, and a bearer token should not follow one.
  const response = await request.fetch(`${request.url}/api/${request.kind}`, {
    method: "POST",
    body,
    headers: {
      "Content-Type": "application/json",
      "Convex-Client": `npm-${CONVEX_CLIENT_VERSION}`,
      Authorization: `Bearer ${request.token}`,
    },
    signal: request.signal,
    redirect: "error",
  });
  if (!response.ok && response.status !== UDF_FAILED) {
    const text = new TextDecoder().decode(await readBodyLimited(response, MAX_ERROR_BODY_BYTES, true));
    throw new HttpStatusError(response.status, text, header(response, "retry-after"));
  }
  const { text, bytes } = await readAnswerText(response, request.maxResponseBytes);
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
