/**
 * One POST whose whole answer is wanted as text, within a size limit: what a Convex function call
 * is (attempt.ts). Made with undici's `dispatch` and a handler that collects the body's chunks,
 * which costs about half the CPU of `request()` with its Readable body and a fetch-like Response
 * on top (BENCHMARKS.md, figure 2; bench/NOTES.md): on loopback, where a call is ~0.2 ms, that is
 * the largest piece of a call that connvo-mcp's own code decides.
 *
 * It keeps what the fetch path (fetch.ts + bodyLimit.ts) guarantees, because classify.ts and the
 * tests rely on it: fetch's default headers (`Accept-Encoding` included, so a real deployment
 * compresses large answers), the body decoded as fetch decodes it and limited in decoded bytes, a
 * redirect refused (`redirect: "error"`), network failures as `TypeError("fetch failed", {cause})`,
 * a body cut short as `TypeError("terminated", {cause})`, an abort with the signal's reason, and a
 * leading byte-order mark dropped as `text()` drops it.
 *
 * `exchangeViaFetch` is the same exchange over any fetch (a test's stub, or a URL this client does
 * not speak), so attempt.ts has one way to make a call.
 */
import type { IncomingHttpHeaders } from "node:http";
import { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { type CancelSignal, toAbortSignal } from "../core/cancel.js";
import { ResponseTooLarge, readBodyLimited } from "./bodyLimit.js";
import { decodedBody } from "./contentDecoding.js";

export interface BodyLimit {
  /** Most decoded bytes read. */
  bytes: number;
  /** true: keep the first `bytes` and stop reading; false: a larger body is ResponseTooLarge. */
  truncate: boolean;
}

export interface ExchangeRequest {
  url: string;
  /** Header names in lower case; fetch's defaults (accept, user-agent, accept-encoding) are added. */
  headers: Record<string, string>;
  body: string;
  signal?: CancelSignal;
  /** How much of the body to read, by the answer's status. */
  limit(status: number): BodyLimit;
}

export interface Exchanged {
  status: number;
  /** One response header as received (lower-case name; repeated ones joined with ", "). */
  header(name: string): string | undefined;
  /** The decoded body (at most the limit) as UTF-8. */
  text: string;
  /** Its size in decoded bytes. */
  bytes: number;
}

export type Exchange = (request: ExchangeRequest) => Promise<Exchanged>;

/** The statuses fetch follows as redirects (with a Location); `redirect: "error"` refuses them. */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
const unexpectedRedirect = () => new TypeError("fetch failed", { cause: new Error("unexpected redirect") });

function utf8(chunks: Buffer[], size: number): string {
  const text = (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size)).toString("utf8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function headerOf(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>) {
  return (name: string): string | undefined => {
    const value = headers[name];
    return Array.isArray(value) ? value.join(", ") : value;
  };
}

/** The request headers: fetch's defaults, then the caller's (which win). */
function withDefaults(url: URL, headers: Record<string, string>): Record<string, string> {
  return {
    accept: "*/*",
    "user-agent": "node",
    "accept-encoding": url.protocol === "https:" ? "br, gzip, deflate" : "gzip, deflate",
    "content-type": "text/plain;charset=UTF-8",
    ...headers,
  };
}

/** The exchange over undici's dispatcher (an Agent without the redirect interceptor). */
export function exchange(dispatcher: Dispatcher, url: URL, request: ExchangeRequest): Promise<Exchanged> {
  const signal = request.signal;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<Exchanged>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let settled = false;
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    let limit: BodyLimit = { bytes: 0, truncate: true };
    const chunks: Buffer[] = [];
    let size = 0;
    /** A compressed body, fed to the decoders as it arrives. */
    let coded: Readable | undefined;
    let ended = false;

    const settle = () => {
      settled = true;
      signal?.removeEventListener("abort", onAbort);
    };
    const fail = (error: unknown) => {
      if (settled) return;
      settle();
      reject(error);
    };
    const succeed = (text: string, bytes: number) => {
      if (settled) return;
      settle();
      resolve({ status, header: headerOf(headers), text, bytes });
    };
    /** Ends the request early: the connection is closed, the rest is not downloaded. */
    const stop = (reason: Error) => {
      if (!ended) controller?.abort(reason);
    };
    const onAbort = () => {
      const reason = signal?.reason;
      fail(reason);
      stop(reason as Error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (settled) c.abort(new Error("request no longer wanted"));
      },
      onResponseStart(c, statusCode, responseHeaders) {
        status = statusCode;
        headers = responseHeaders;
        if (REDIRECT_STATUSES.has(statusCode) && responseHeaders.location !== undefined) {
          fail(unexpectedRedirect());
          c.abort(new Error("redirect refused"));
          return;
        }
        limit = request.limit(statusCode);
        const encoding = responseHeaders["content-encoding"];
        if (encoding !== undefined) {
          coded = new Readable({
            read: () => c.resume(),
            destroy: (error, callback) => {
              // Read enough (or failed decoding): the rest is not wanted.
              stop(error ?? new Error("body no longer wanted"));
              callback(error);
            },
          });
          readDecoded(coded, encoding, limit).then(({ text, bytes }) => succeed(text, bytes), fail);
          return;
        }
        const declared = Number(responseHeaders["content-length"]);
        if (!limit.truncate && Number.isFinite(declared) && declared > limit.bytes) {
          const tooLarge = new ResponseTooLarge(limit.bytes);
          fail(tooLarge);
          c.abort(tooLarge);
        }
      },
      onResponseData(c, chunk) {
        if (settled) return;
        if (coded) {
          if (!coded.push(chunk)) c.pause();
          return;
        }
        if (size + chunk.length <= limit.bytes) {
          chunks.push(chunk);
          size += chunk.length;
          return;
        }
        if (!limit.truncate) {
          const tooLarge = new ResponseTooLarge(limit.bytes);
          fail(tooLarge);
          c.abort(tooLarge);
          return;
        }
        chunks.push(chunk.subarray(0, limit.bytes - size));
        size = limit.bytes;
        succeed(utf8(chunks, size), size);
        c.abort(new Error("read as much as wanted"));
      },
      onResponseEnd() {
        ended = true;
        if (coded) coded.push(null);
        else succeed(utf8(chunks, size), size);
      },
      onResponseError(_c, error) {
        coded?.destroy(error);
        if (signal?.aborted) fail(signal.reason);
        else
          fail(
            status ? new TypeError("terminated", { cause: error }) : new TypeError("fetch failed", { cause: error }),
          );
      },
    };
    try {
      dispatcher.dispatch(
        {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: "POST",
          headers: withDefaults(url, request.headers),
          body: request.body,
        },
        handler,
      );
    } catch (error) {
      fail(new TypeError("fetch failed", { cause: error }));
    }
  });
}

/** A compressed body read through its decoders, counting decoded bytes. */
async function readDecoded(
  raw: Readable,
  encoding: string | string[],
  limit: BodyLimit,
): Promise<{ text: string; bytes: number }> {
  const stream = await decodedBody(raw, encoding);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (size + chunk.length > limit.bytes) {
        if (!limit.truncate) throw new ResponseTooLarge(limit.bytes);
        chunks.push(chunk.subarray(0, limit.bytes - size));
        size = limit.bytes;
        break;
      }
      chunks.push(chunk);
      size += chunk.length;
    }
  } catch (error) {
    if (error instanceof ResponseTooLarge) throw error;
    throw new TypeError("terminated", { cause: error });
  } finally {
    stream.destroy();
  }
  return { text: size === 0 ? "" : utf8(chunks, size), bytes: size };
}

/** The same exchange over a fetch function: a test's stub, or what connvo-mcp's client does not speak. */
export async function exchangeViaFetch(
  fetch: (input: string, init: RequestInit) => Promise<Response>,
  request: ExchangeRequest,
): Promise<Exchanged> {
  const response = await fetch(request.url, {
    method: "POST",
    body: request.body,
    headers: request.headers,
    signal: request.signal && toAbortSignal(request.signal),
    redirect: "error",
  });
  const fast = (response as { rawHeader?: (name: string) => string | undefined }).rawHeader;
  const header = fast
    ? (name: string) => fast.call(response, name)
    : (name: string) => response.headers.get(name) ?? undefined;
  const limit = request.limit(response.status);
  const encoding = header("content-encoding")?.trim().toLowerCase();
  const declared = Number(header("content-length") ?? Number.NaN);
  // A declared length within the limit is enforced by the HTTP parser itself; with an encoding the
  // length counts compressed bytes, so those (and unknown lengths) are read counting decoded bytes.
  if (
    (!encoding || encoding === "identity") &&
    Number.isInteger(declared) &&
    declared >= 0 &&
    declared <= limit.bytes
  ) {
    return { status: response.status, header, text: await response.text(), bytes: declared };
  }
  const body = await readBodyLimited(response, limit.bytes, limit.truncate);
  return { status: response.status, header, text: new TextDecoder().decode(body), bytes: body.byteLength };
}
