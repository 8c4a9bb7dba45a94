/**
 * One request to the deployment with `ConvexHttpClient`, adding what the client lacks: abortion
 * (it takes no signal), the HTTP status of failures (it throws only the body text), a size limit
 * on the answer (it buffers whatever comes), and no logging to stdout (its default logger uses
 * console.log, fatal for stdio MCP). A client per request, because it is stateful: an instance
 * must never carry one user's token into another's call.
 */
import { ConvexHttpClient } from "convex/browser";
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

/**
 * Wraps fetch: every request gets `signal`; a non-2xx answer becomes an HttpStatusError with its
 * status and Retry-After; a successful body is read here, within the size limit, before the
 * client parses it.
 */
function guardedFetch(
  inner: FetchLike,
  signal: AbortSignal,
  maxBytes: number,
  onBody: (bytes: number) => void,
): FetchLike {
  return async (input, init) => {
    // redirect "error": a deployment never redirects, a bearer token should not follow one, and
    // undici clones every request (teeing its body) unless redirects are errors.
    const response = await inner(input, { ...init, signal, redirect: "error" });
    if (!response.ok && response.status !== UDF_FAILED) {
      const body = new TextDecoder().decode(await readBodyLimited(response, MAX_ERROR_BODY_BYTES, true));
      throw new HttpStatusError(response.status, body, response.headers.get("retry-after") ?? undefined);
    }
    // A declared length within the limit is enforced by the HTTP parser itself: hand the response
    // over as it is instead of reading it here and wrapping the bytes in a second Response. Only
    // for an unencoded body: with Content-Encoding the length counts compressed bytes, and fetch
    // inflates what it reads (a 400 KB gzip bomb is 400 MB decoded), so those are counted as decoded.
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    if (isIdentityEncoded(response.headers) && Number.isInteger(declared) && declared >= 0 && declared <= maxBytes) {
      onBody(declared);
      return response;
    }
    const body = await readBodyLimited(response, maxBytes);
    onBody(body.byteLength);
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

/** No Content-Encoding (or `identity`): the body's bytes are the bytes on the wire. */
function isIdentityEncoded(headers: Headers): boolean {
  const encoding = headers.get("content-encoding")?.trim().toLowerCase();
  return !encoding || encoding === "identity";
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
  let bytes = 0;
  const client = new ConvexHttpClient(request.url, {
    logger: false,
    skipConvexDeploymentUrlCheck: true,
    fetch: guardedFetch(request.fetch, request.signal, request.maxResponseBytes, (n) => {
      bytes = n;
    }),
  });
  client.setAuth(request.token);
  // A function path string is a valid reference at runtime; the typed API is for codegen users.
  const ref = request.functionPath as never;
  const args = request.args as never;
  const value: unknown =
    request.kind === "query"
      ? await client.query(ref, args)
      : request.kind === "mutation"
        ? // skipQueue: this client is used for this one request, there is nothing to order it after.
          await client.mutation(ref, args, { skipQueue: true })
        : await client.action(ref, args);
  return { value, bytes };
}
