/**
 * The backend's HTTP client: undici's `request()` over one keep-alive Agent, behind a function with
 * fetch's signature, for whatever uses fetch (the live watch's polling, a ConvexHttpClient, which
 * takes a `fetch` option), plus `exchange` (exchange.ts), which the backend call itself uses.
 *
 * Why not fetch itself: Node 20's global fetch, and undici's own `fetch` over a tuned Agent, cost
 * ~0.3 ms per call on loopback in the WHATWG machinery (Request, Headers, web streams) on top of
 * the ~0.1 ms an HTTP round trip takes with `request()` (BENCHMARKS.md, "backend round trip").
 *
 * What stays as fetch has it, because callers rely on it:
 * - the answer is a Response-compatible object: `ok`, `status`, `statusText`, `headers` (a real
 *   `Headers`), `body` (a web ReadableStream), `bodyUsed`, `text()`, `json()`, `arrayBuffer()`,
 *   `bytes()`, `blob()`;
 * - the body is decoded as fetch decodes it (gzip/x-gzip, deflate, br, zstd where Node has it; at
 *   most 5 codings), while `headers` stay as received (`content-encoding` and `content-length`
 *   included), so a size limit must count the bytes read from `body`, as with fetch;
 * - `Accept-Encoding` is sent when the caller sets none (as fetch does), so large answers travel
 *   compressed from a real deployment;
 * - network failures reject with `TypeError("fetch failed", { cause })`, a body cut short with
 *   `TypeError("terminated", { cause })`, an abort with the signal's reason;
 * - `redirect`: "error" rejects on a redirect, "manual" returns it, "follow" (the default) follows
 *   up to 20 with undici's redirect interceptor (which drops Authorization across origins).
 * Anything the fast path does not model (a `Request` object as input, a stream, Blob or FormData
 * body) goes to Node's own fetch unchanged.
 *
 * undici (~380 KB bundled, dist/undici.cjs) is not loaded at start: it is loaded a second after
 * the first fetch function is made (when a client has had its tools/list) or by the first
 * request, whichever comes first. A startup snapshot cannot hold it (it loads node:http, which
 * Node 20 cannot snapshot).
 */
import { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { decodedBody } from "./contentDecoding.js";
import { type Exchange, exchange, exchangeViaFetch, REDIRECT_STATUSES } from "./exchange.js";

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface FastFetchOptions {
  /**
   * How long an idle connection is kept for the next call. Node's fetch keeps 4 s; agents call
   * tools seconds apart, and a new TLS connection to a deployment costs a few round trips. A
   * `Keep-Alive: timeout=N` from the server lowers it (undici honours the hint).
   */
  keepAliveTimeoutMs?: number;
  /** Most connections per origin; unlimited by default (the limiter caps concurrency above this). */
  connections?: number;
}

const DEFAULT_KEEP_ALIVE_MS = 30_000;
/** When undici is loaded in the background if no request asked for it first. */
const PRELOAD_AFTER_MS = 1000;
const MAX_KEEP_ALIVE_MS = 10 * 60_000;
const MAX_REDIRECTS = 20;
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

type Undici = typeof import("undici");

let undiciLoading: Promise<Undici> | undefined;
/** Loads undici once (dist/undici.cjs in the bundles, the package under tsx and vitest). */
export function loadUndici(): Promise<Undici> {
  // A bundled CommonJS module is imported as { default: module.exports }.
  undiciLoading ??= import("undici").then((m: Undici & { default?: Undici }) => m.default ?? m);
  return undiciLoading;
}

interface Dispatchers {
  plain: Dispatcher;
  /** The same Agent with undici's redirect interceptor, for `redirect: "follow"`. */
  following: Dispatcher;
  /**
   * The origin's own connection pool, made as the Agent makes one, for exchanges: a backend talks
   * to one origin, and dispatching on its pool skips the Agent's routing (~10 µs a call).
   */
  poolFor(origin: string): Dispatcher;
  close(): Promise<void>;
}

export interface FastFetch extends FetchLike {
  /** One POST read whole as text (exchange.ts): the backend call's cheaper way, on the origin's own pool. */
  exchange: Exchange;
  /** Closes the idle connections (the process does not wait for them either way). */
  close(): Promise<void>;
}

/** A fetch-compatible function over undici's `request()` and one keep-alive Agent of its own. */
export function createFastFetch(options: FastFetchOptions = {}): FastFetch {
  const keepAliveTimeout = options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_MS;
  let dispatchers: Promise<Dispatchers> | undefined;
  /** Once made: then a request does not wait a turn of the microtask queue for it. */
  let ready: Dispatchers | undefined;
  const dispatchersFor = () => {
    dispatchers ??= loadUndici().then((undici) => {
      const settings = {
        keepAliveTimeout,
        keepAliveMaxTimeout: Math.max(keepAliveTimeout, MAX_KEEP_ALIVE_MS),
        connections: options.connections ?? null,
        pipelining: 1,
      };
      const agent = new undici.Agent(settings);
      const pools = new Map<string, Dispatcher>();
      ready = {
        plain: agent,
        following: agent.compose(undici.interceptors.redirect({ maxRedirections: MAX_REDIRECTS })),
        poolFor(origin) {
          let pool = pools.get(origin);
          if (!pool) {
            pool = new undici.Pool(origin, settings);
            pools.set(origin, pool);
          }
          return pool;
        },
        close: async () => {
          await Promise.all([agent.close(), ...[...pools.values()].map((pool) => pool.close())]);
        },
      };
      return ready;
    });
    return dispatchers;
  };

  // Off the start's path, before the first call needs it; never keeps the process alive.
  setTimeout(() => void loadUndici().catch(() => {}), PRELOAD_AFTER_MS).unref();

  const fastFetch = (async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const body = init.body;
    if (
      (typeof input !== "string" && !(input instanceof URL)) ||
      (body != null && typeof body !== "string" && !(body instanceof Uint8Array) && !(body instanceof ArrayBuffer))
    ) {
      return globalThis.fetch(input, init);
    }
    const signal = init.signal ?? undefined;
    signal?.throwIfAborted();
    const url = typeof input === "string" ? parsedUrl(input) : input;
    if (url.protocol !== "http:" && url.protocol !== "https:") return globalThis.fetch(input, init);
    const method = normalizeMethod(init.method);
    const redirect = init.redirect ?? "follow";
    const headers = requestHeaders(init.headers, url, typeof body === "string");
    const { plain, following } = ready ?? (await dispatchersFor());
    let answer: Dispatcher.ResponseData;
    try {
      answer = await (redirect === "follow" ? following : plain).request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: method as Dispatcher.HttpMethod,
        headers,
        body: body instanceof ArrayBuffer ? new Uint8Array(body) : (body as string | Uint8Array | null | undefined),
        signal,
        ...(redirect === "follow" ? { maxRedirections: MAX_REDIRECTS } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new TypeError("fetch failed", { cause: error });
    }
    const location = answer.headers.location;
    if (redirect === "error" && REDIRECT_STATUSES.has(answer.statusCode) && location !== undefined) {
      answer.body.on("error", noop).destroy();
      throw new TypeError("fetch failed", { cause: new Error("unexpected redirect") });
    }
    const hasBody = method !== "HEAD" && !NULL_BODY_STATUSES.has(answer.statusCode);
    if (!hasBody) answer.body.resume(); // nothing to read; free the connection
    const coded = hasBody && answer.headers["content-encoding"] !== undefined;
    const stream = coded
      ? await decodedBody(answer.body, answer.headers["content-encoding"])
      : hasBody
        ? answer.body
        : undefined;
    return new FastResponse(url.href, answer, stream, signal) as unknown as Response;
  }) as FastFetch;
  fastFetch.exchange = (request) => {
    const url = parsedUrl(request.url);
    if (url.protocol !== "http:" && url.protocol !== "https:") return exchangeViaFetch(globalThis.fetch, request);
    return ready
      ? exchange(ready.poolFor(url.origin), url, request)
      : dispatchersFor().then((d) => exchange(d.poolFor(url.origin), url, request));
  };
  fastFetch.close = async () => {
    if (dispatchers) await (await dispatchers).close();
  };
  return fastFetch;
}

/**
 * The last few URLs parsed: a backend calls the same three endpoints over and over, and parsing
 * one costs more than the lookup. Entries are never modified (URL objects are only read here).
 */
const urlCache = new Map<string, URL>();
const URL_CACHE_SIZE = 16;
function parsedUrl(input: string): URL {
  let url = urlCache.get(input);
  if (!url) {
    url = new URL(input);
    if (urlCache.size >= URL_CACHE_SIZE) urlCache.clear();
    urlCache.set(input, url);
  }
  return url;
}

const STANDARD_METHODS = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"]);

/** fetch upper-cases only the standard methods; others are sent as given. */
function normalizeMethod(method: string | undefined): string {
  if (!method) return "GET";
  const upper = method.toUpperCase();
  return STANDARD_METHODS.has(upper) ? upper : method;
}

/** The caller's headers as one record, with the defaults fetch adds when they are missing. */
function requestHeaders(
  given: HeadersInit | undefined,
  url: URL,
  stringBody: boolean,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const add = (name: string, value: string) => {
    const key = name.toLowerCase();
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else out[key] = key === "set-cookie" ? [...[existing].flat(), value] : `${existing}, ${value}`;
  };
  if (given instanceof Headers) {
    for (const [name, value] of given) add(name, value);
  } else if (Array.isArray(given)) for (const [name, value] of given) add(name as string, value as string);
  else if (given) for (const [name, value] of Object.entries(given)) add(name, value);
  out.accept ??= "*/*";
  out["user-agent"] ??= "node";
  out["accept-encoding"] ??= url.protocol === "https:" ? "br, gzip, deflate" : "gzip, deflate";
  if (stringBody) out["content-type"] ??= "text/plain;charset=UTF-8";
  return out;
}

const noop = () => {};

/** What fetch resolves with, over undici's answer. Only what fetch's Response offers for reading. */
class FastResponse {
  readonly type = "basic";
  readonly redirected = false;
  readonly status: number;
  readonly statusText: string;
  #headers: Headers | undefined;
  #web: ReadableStream<Uint8Array> | null | undefined;
  #used = false;

  constructor(
    readonly url: string,
    private readonly answer: Dispatcher.ResponseData,
    private readonly stream: Readable | undefined,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.status = answer.statusCode;
    this.statusText = (answer as { statusText?: string }).statusText ?? "";
    if (stream === undefined) this.#web = null;
    // A body nobody reads may still fail (the connection drops): that must not be an unhandled
    // 'error' event. Whoever reads it gets the error from the read.
    else stream.on("error", noop);
  }

  /** A real `Headers`, built when first asked for (most callers only need rawHeader). */
  get headers(): Headers {
    if (!this.#headers) {
      const headers = new Headers();
      for (const [name, value] of Object.entries(this.answer.headers)) {
        if (Array.isArray(value)) for (const v of value) headers.append(name, v);
        else if (value !== undefined) headers.append(name, value);
      }
      this.#headers = headers;
    }
    return this.#headers;
  }

  /** One header as received (lower-case name; repeated ones joined as Headers joins them). */
  rawHeader(name: string): string | undefined {
    const value = this.answer.headers[name];
    return Array.isArray(value) ? value.join(", ") : value;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status <= 299;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#web === undefined) {
      const stream = this.stream as Readable & { body?: ReadableStream<Uint8Array> };
      // undici's own body has a web stream view; a decoder pipeline is converted by Node.
      this.#web =
        stream.body instanceof ReadableStream ? stream.body : (Readable.toWeb(stream) as ReadableStream<Uint8Array>);
    }
    return this.#web;
  }

  get bodyUsed(): boolean {
    if (this.#used) return true;
    const web = this.#web;
    return web ? Readable.isDisturbed(web as never) : false;
  }

  async #read<T>(how: "text" | "json" | "arrayBuffer" | "bytes" | "blob"): Promise<T> {
    if (this.bodyUsed || this.#web?.locked) throw new TypeError("Body is unusable: Body has already been read");
    this.#used = true;
    const stream = this.stream;
    if (!stream) return (how === "text" ? "" : how === "json" ? JSON.parse("") : empty(how)) as T;
    try {
      const undiciBody = stream as Readable & Partial<Record<typeof how, () => Promise<T>>>;
      const own = undiciBody[how];
      if (typeof own === "function") {
        const value = await own.call(undiciBody);
        return (how === "bytes" && !(value instanceof Uint8Array) ? new Uint8Array(value as never) : value) as T;
      }
      // Only a decoded body gets here (undici's own has text() and the rest).
      const c = await import("node:stream/consumers");
      if (how === "text") return (await c.text(stream)) as T;
      if (how === "json") return JSON.parse(await c.text(stream)) as T;
      if (how === "arrayBuffer") return (await c.arrayBuffer(stream)) as T;
      if (how === "blob") return (await c.blob(stream)) as T;
      return new Uint8Array(await c.arrayBuffer(stream)) as T;
    } catch (error) {
      if (this.signal?.aborted) throw this.signal.reason;
      if (error instanceof SyntaxError || error instanceof TypeError) throw error;
      throw new TypeError("terminated", { cause: error });
    }
  }

  text(): Promise<string> {
    return this.#read("text");
  }
  json(): Promise<unknown> {
    return this.#read("json");
  }
  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#read("arrayBuffer");
  }
  bytes(): Promise<Uint8Array> {
    return this.#read("bytes");
  }
  blob(): Promise<Blob> {
    return this.#read("blob");
  }
  async formData(): Promise<never> {
    throw new TypeError("formData() is not supported by connvo-mcp's fetch");
  }
  clone(): never {
    throw new TypeError("clone() is not supported by connvo-mcp's fetch");
  }
}

function empty(how: "arrayBuffer" | "bytes" | "blob"): unknown {
  return how === "arrayBuffer" ? new ArrayBuffer(0) : how === "bytes" ? new Uint8Array(0) : new Blob([]);
}
