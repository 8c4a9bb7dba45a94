/**
 * The server's only logger. It writes to stderr because in stdio mode stdout is the MCP protocol
 * channel, and every line passes through the redactor so no secret reaches a log.
 */
const secrets = new Set<string>();

/** Register a value (a token) that must never appear in a log line, error text or tool result. */
export function registerSecret(value: string | undefined): void {
  // Very short values would redact ordinary words; real tokens are long.
  if (value && value.length >= 8) secrets.add(value);
}

/** Replace every registered secret, and anything shaped like a bearer JWT, with a placeholder. */
export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join("[redacted]");
  }
  // A JWT someone forgot to register (for example one echoed back by a backend).
  return out.replace(/eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g, "[redacted-jwt]");
}

export type LogLevel = "debug" | "info" | "warn" | "error";
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
let threshold: number = order[(process.env.CONNVO_LOG_LEVEL as LogLevel) ?? "info"] ?? order.info;

export function setLogLevel(level: LogLevel): void {
  threshold = order[level];
}

export function log(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
  if (order[level] < threshold) return;
  const extra = fields ? ` ${JSON.stringify(fields)}` : "";
  process.stderr.write(`${redact(`connvo-mcp ${level}: ${message}${extra}`)}\n`);
}
