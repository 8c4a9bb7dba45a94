/**
 * The few HTTP requests the auth layer makes (issuer metadata, token endpoint, revocation, device
 * authorization), each with its own deadline, never following a redirect (a credential in the
 * body must not travel on to another address), and with bounded answers. Nothing here logs: a
 * caller turns an outcome into a Failure or a message, and no token reaches either.
 */

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** How long one request to the authorization server may take. */
export const AUTH_REQUEST_TIMEOUT_MS = 5000;
/** Answers of an authorization server are small JSON documents. */
const MAX_ANSWER_BYTES = 256 * 1024;

export type NetOutcome =
  | { ok: true; status: number; json: Record<string, unknown> | undefined; retryAfterSec?: number }
  /** No HTTP answer: refused, reset, DNS, or the deadline passed. */
  | { ok: false; cause: string };

export interface RequestOptions {
  fetch?: FetchLike;
  timeoutMs?: number;
  /** Aborts the request too (a caller's deadline). */
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

async function readJson(response: Response): Promise<Record<string, unknown> | undefined> {
  const length = Number(response.headers.get("content-length") ?? 0);
  if (length > MAX_ANSWER_BYTES) {
    await response.body?.cancel().catch(() => undefined);
    return undefined;
  }
  const text = await response.text();
  if (text.length > MAX_ANSWER_BYTES) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function retryAfter(response: Response): number | undefined {
  const raw = response.headers.get("retry-after");
  if (!raw) return undefined;
  const seconds = Number(raw);
  return Number.isFinite(seconds) && seconds >= 0 ? Math.ceil(seconds) : undefined;
}

function causeOf(error: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `no answer within ${timeoutMs / 1000} s`;
  const code = (error as { cause?: { code?: unknown } })?.cause?.code;
  if (typeof code === "string") return code;
  return error instanceof Error ? error.name : "network error";
}

async function send(url: string, init: RequestInit, options: RequestOptions): Promise<NetOutcome> {
  const timeoutMs = options.timeoutMs ?? AUTH_REQUEST_TIMEOUT_MS;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = () => controller.abort();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) controller.abort();
  try {
    const response = await (options.fetch ?? fetch)(url, { ...init, redirect: "manual", signal: controller.signal });
    const json = await readJson(response);
    return { ok: true, status: response.status, json, retryAfterSec: retryAfter(response) };
  } catch (error) {
    return { ok: false, cause: causeOf(error, timedOut, timeoutMs) };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

export function getJson(url: string, options: RequestOptions = {}): Promise<NetOutcome> {
  return send(url, { method: "GET", headers: { accept: "application/json", ...options.headers } }, options);
}

/** An `application/x-www-form-urlencoded` POST, as every OAuth endpoint takes. */
export function postForm(
  url: string,
  params: Record<string, string>,
  options: RequestOptions = {},
): Promise<NetOutcome> {
  return send(
    url,
    {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
        ...options.headers,
      },
      body: new URLSearchParams(params).toString(),
    },
    options,
  );
}

export const stringField = (json: Record<string, unknown> | undefined, key: string): string | undefined => {
  const value = json?.[key];
  return typeof value === "string" && value.length > 0 ? value : undefined;
};

export const numberField = (json: Record<string, unknown> | undefined, key: string): number | undefined => {
  const value = json?.[key];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
};

/** A token value is printable ASCII without spaces: anything else is not one (and could not travel in a header). */
export const isTokenShaped = (value: string | undefined): value is string =>
  value !== undefined && value.length <= 16_384 && /^[\x21-\x7e]+$/.test(value);
