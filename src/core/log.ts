/**
 * The server's only logger. It writes to stderr because in stdio mode stdout is the MCP protocol
 * channel, and every line passes through the redactor so no secret reaches a log.
 */

/** What counts as "inside a word" around a short secret: letters and digits. */
const WORD_CHARS = "A-Za-z0-9";
/** Secrets this long or longer are replaced wherever they occur. */
const MIN_ANYWHERE_LENGTH = 8;

/** Longest first, so a secret that contains another is replaced whole. */
let anywhere: string[] = [];
/** Shorter secrets would match inside ordinary words, so they are replaced only where they stand alone. */
let standalone: RegExp | undefined;
const registered = new Set<string>();

/** Characters JSON.stringify writes as they are (no escape): printable ASCII but `"` and `\`. */
const JSON_VERBATIM = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/**
 * Whether redacting a value's JSON text finds every secret redacting each of its strings would:
 * true while every registered secret is long (matched anywhere, not only as a word of its own,
 * where an escape such as `\n` before it would hide its start) and is written by JSON.stringify
 * unescaped. Unregistered JWTs are found either way (their characters are never escaped).
 */
let jsonTextExact = true;
export const redactionOfJsonTextIsExact = (): boolean => jsonTextExact;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Register a value (a token) that must never appear in a log line, error text or tool result.
 * Any length: a short one is replaced where it stands as a word of its own (so a 5-character
 * token does not turn every word that contains those letters into "[redacted]", while `?t=abc12` or
 * `/abc12.png` still lose it). Its JSON-escaped
 * form is registered too, for texts that carry it inside a JSON string.
 */
export function registerSecret(value: string | undefined): void {
  if (!value) return;
  const forms = new Set([value, JSON.stringify(value).slice(1, -1)]);
  let changed = false;
  for (const form of forms) {
    if (form && !registered.has(form)) {
      registered.add(form);
      changed = true;
    }
  }
  if (!changed) return;
  const all = [...registered];
  jsonTextExact = all.every((s) => s.length >= MIN_ANYWHERE_LENGTH && JSON_VERBATIM.test(s));
  anywhere = all.filter((s) => s.length >= MIN_ANYWHERE_LENGTH).sort((a, b) => b.length - a.length);
  const short = all.filter((s) => s.length < MIN_ANYWHERE_LENGTH).sort((a, b) => b.length - a.length);
  standalone =
    short.length > 0
      ? new RegExp(`(?<![${WORD_CHARS}])(?:${short.map(escapeRegExp).join("|")})(?![${WORD_CHARS}])`, "g")
      : undefined;
}

/** A secret cut short (a name capped at 64 characters, a code at 40) is still recognised from this many characters. */
const MIN_PIECE_LENGTH = 16;
const REDACTED = "[redacted]";

/**
 * Where only the start or the end of `secret` survived a cut (at least MIN_PIECE_LENGTH
 * characters of it): text shortened before it reached the redactor must not leak a token's first
 * 40 characters because the whole token no longer matches.
 */
function redactPieces(text: string, secret: string): string {
  let out = text;
  const head = secret.slice(0, MIN_PIECE_LENGTH);
  for (let at = out.indexOf(head); at !== -1; at = out.indexOf(head, at + REDACTED.length)) {
    let end = at + MIN_PIECE_LENGTH;
    while (end < out.length && end - at < secret.length && out[end] === secret[end - at]) end++;
    out = out.slice(0, at) + REDACTED + out.slice(end);
  }
  const tail = secret.slice(-MIN_PIECE_LENGTH);
  for (let at = out.indexOf(tail); at !== -1; at = out.indexOf(tail, at + REDACTED.length)) {
    let start = at;
    const end = at + MIN_PIECE_LENGTH;
    while (start > 0 && end - start < secret.length && out[start - 1] === secret[secret.length - (end - start) - 1]) {
      start--;
    }
    out = out.slice(0, start) + REDACTED + out.slice(end);
    at = start;
  }
  return out;
}

/**
 * Replace every registered secret, and anything shaped like a bearer JWT, with a placeholder. In
 * this order: whole secrets, short ones standing alone, unregistered JWTs, and last the pieces of
 * secrets that were cut short (last, so that secrets sharing a start, as JWTs share their header,
 * are each replaced whole first).
 */
export function redact(text: string): string {
  let out = text;
  for (const secret of anywhere) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  if (standalone) out = out.replace(standalone, REDACTED);
  // A JWT someone forgot to register (for example one echoed back by a backend).
  out = out.replace(/eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g, "[redacted-jwt]");
  for (const secret of anywhere) {
    if (secret.length > MIN_PIECE_LENGTH) out = redactPieces(out, secret);
  }
  return out;
}

export type LogLevel = "debug" | "info" | "warn" | "error";
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
let threshold: number = order[(process.env.CONNVO_LOG_LEVEL as LogLevel) ?? "info"] ?? order.info;

export function setLogLevel(level: LogLevel): void {
  threshold = order[level];
}

/** Where finished (redacted) lines go; stderr unless replaced. */
export type LogSink = (line: string) => void;
const stderrSink: LogSink = (line) => {
  process.stderr.write(line);
};
let sink: LogSink = stderrSink;

/**
 * Sends log lines somewhere other than stderr (the test suite collects them, so expected warnings
 * of error-path tests are not printed between the runner's lines). `undefined` restores stderr.
 * Lines are already redacted and end with a newline.
 */
export function setLogSink(next: LogSink | undefined): void {
  sink = next ?? stderrSink;
}

export function log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
  if (order[level] < threshold) return;
  const extra = fields ? ` ${JSON.stringify(fields)}` : "";
  sink(`${redact(`connvo-mcp ${level}: ${message}${extra}`)}\n`);
}
