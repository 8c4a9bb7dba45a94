/**
 * The ONE place that turns a `Failure` (src/core/failures.ts) into the fixed, actionable wording an
 * agent sees. Backend-supplied text is never passed through raw: it is redacted first, then
 * sanitised and capped, and quoted so it reads as data.
 */
import type { Failure, ResourceRef, TokenFileProblem, TokenSourceInfo } from "../core/failures.js";
import { redact } from "../core/log.js";
import { sanitizeText } from "../core/sanitize.js";

/** Backend-controlled text: strip controls, cap, and quote it so it reads as data. */
function quoted(text: string | undefined, max = 160): string {
  return text ? ` (backend said: "${sanitizeText(redact(text), max)}")` : "";
}

const REFRESH_TOKEN =
  "Sign in to Connvo again to get a fresh access token, put it in CONNVO_TOKEN in the MCP server's configuration, and restart the server (or set CONNVO_TOKEN_COMMAND to a command that prints a fresh token, so connvo-mcp refreshes it itself).";

/** How to get a working token, for the source the rejected one came from. */
function refreshAdvice(source: TokenSourceInfo | undefined): string {
  switch (source?.kind) {
    case undefined:
    case "env":
      return REFRESH_TOKEN;
    case "file":
      return `Write a fresh access token to ${pathText(source.path)} (CONNVO_TOKEN_FILE); connvo-mcp re-reads the file when it changes, no restart needed. If a helper keeps that file up to date, check that it is still running.`;
    case "command":
      return "connvo-mcp gets tokens by running CONNVO_TOKEN_COMMAND (run again after a rejection, then the call is retried once). Run the command yourself in a terminal and check that it prints a current Connvo access token for this deployment; you may need to sign in again in the tool it uses.";
    case "caller":
      return "The token is the one this request was sent with: sign in to Connvo again in the MCP client (or let it refresh its token) and retry.";
    case "signin":
      return "The token comes from your `connvo-mcp login` sign-in, which connvo-mcp refreshes itself: run `connvo-mcp login` in a terminal to sign in again (no restart needed), then retry.";
    case "oauth":
      return "The token was exchanged for the sign-in this request was sent with: sign in to Connvo again in the MCP client (disconnect and reconnect the server, or let it refresh its token) and retry.";
  }
}

function sourceName(source: TokenSourceInfo): string {
  switch (source.kind) {
    case "env":
      return "CONNVO_TOKEN";
    case "file":
      return `CONNVO_TOKEN_FILE (${pathText(source.path)})`;
    case "command":
      return "CONNVO_TOKEN_COMMAND";
    case "caller":
      return "this request";
    case "signin":
      return `the connvo-mcp login sign-in (${pathText(source.path)})`;
    case "oauth":
      return "your sign-in on this server";
  }
}

/** A configured path: shown so the user can find the file, but bounded and single-line. */
const pathText = (path: string) => sanitizeText(path, 200);

/** "42 s", "5 min", "3 h", "2 days": how long ago, roughly. */
function roughDuration(ms: number): string {
  const sec = Math.max(0, Math.round(ms / 1000));
  if (sec < 90) return `${sec} s`;
  if (sec < 90 * 60) return `${Math.round(sec / 60)} min`;
  if (sec < 48 * 3600) return `${Math.round(sec / 3600)} h`;
  return `${Math.round(sec / 86400)} days`;
}

/** Said when retries were made, so an agent knows an immediate retry is unlikely to help. */
const attemptsNote = (attempts: number | undefined) =>
  attempts !== undefined && attempts > 1 ? ` connvo-mcp tried ${attempts} times before giving up.` : "";

const TOKEN_FILE_PROBLEMS: Record<TokenFileProblem, (path: string, code?: string) => string> = {
  missing: (p) =>
    `CONNVO_TOKEN_FILE points at ${p}, which does not exist. Create it with your Connvo access token (the WorkOS-issued JWT) as its only content, or fix the path; connvo-mcp reads it on use, no restart needed.`,
  unreadable: (p, code) =>
    `connvo-mcp cannot read CONNVO_TOKEN_FILE ${p}${code ? ` (${sanitizeText(code, 20)})` : ""}. Make it readable by the user the MCP server runs as.`,
  not_a_file: (p) =>
    `CONNVO_TOKEN_FILE ${p} is not a regular file. Point CONNVO_TOKEN_FILE at the file that holds the access token.`,
  empty: (p) =>
    `CONNVO_TOKEN_FILE ${p} is empty. Write your Connvo access token (the WorkOS-issued JWT) into it; no restart needed.`,
  too_large: (p) =>
    `CONNVO_TOKEN_FILE ${p} is too large to be an access token. Point CONNVO_TOKEN_FILE at a file that contains only the token.`,
  not_a_token: (p) =>
    `CONNVO_TOKEN_FILE ${p} contains more than one word or line. It must contain only the access token (a single line; a leading "Bearer " is fine).`,
};

function tokenCommandMessage(f: Extract<Failure, { kind: "token_command" }>): string {
  const stderr = f.stderr ? ` Its error output: "${sanitizeText(redact(f.stderr), 300)}".` : "";
  switch (f.problem) {
    case "failed":
      return `CONNVO_TOKEN_COMMAND failed (exit code ${f.exitCode ?? "unknown"}), so connvo-mcp has no access token to send.${stderr} Run the command yourself in a terminal to see what it needs (often: sign in again), or fix CONNVO_TOKEN_COMMAND.`;
    case "killed":
      return `CONNVO_TOKEN_COMMAND was killed by signal ${sanitizeText(f.signal ?? "unknown", 20)} before printing a token.${stderr} Run the command yourself in a terminal to check it.`;
    case "timeout":
      return `CONNVO_TOKEN_COMMAND did not finish within ${(f.timeoutMs ?? 0) / 1000} s and was stopped.${stderr} It must print a token without waiting for input; check it in a terminal, or raise CONNVO_TOKEN_COMMAND_TIMEOUT_MS.`;
    case "empty":
      return `CONNVO_TOKEN_COMMAND succeeded but printed nothing on stdout.${stderr} It must print only the access token, as \`gh auth token\` does.`;
    case "not_a_token":
      return `CONNVO_TOKEN_COMMAND printed more than one word or line on stdout. It must print only the access token (progress and messages belong on stderr).`;
    case "spawn":
      return `connvo-mcp could not start CONNVO_TOKEN_COMMAND with /bin/sh${f.code ? ` (${sanitizeText(f.code, 20)})` : ""}. Check that /bin/sh exists and the command is correct.`;
  }
}

function authServerMessage(f: Extract<Failure, { kind: "auth_server" }>): string {
  const what = f.during === "exchange" ? "exchange your sign-in for a Connvo token" : "refresh your Connvo sign-in";
  const where = `Connvo's sign-in service at ${sanitizeText(f.url, 200)}`;
  const said = f.error
    ? ` (it answered "${sanitizeText(redact(f.error), 40)}")`
    : f.status
      ? ` (HTTP ${f.status})`
      : "";
  switch (f.problem) {
    case "unreachable":
      return `connvo-mcp could not reach ${where} to ${what}, so nothing was sent to Connvo. Check the network connection and try again in a little while.`;
    case "unavailable":
      return `${where} could not ${what} right now${said}, so nothing was sent to Connvo. Try again in a little while.`;
    case "refused":
      return f.during === "exchange"
        ? `${where} refused to ${what}${said}: the sign-in is no longer valid. Sign in to Connvo again in the MCP client (disconnect and reconnect the server) and retry.`
        : `${where} refused to ${what}${said}. Run \`connvo-mcp login\` in a terminal to sign in again, then retry.`;
    case "misconfigured":
      return `${where} refused this connvo-mcp server's own credentials while trying to ${what}${said}. This is a server setting, not your sign-in: the administrator must check CONNVO_AUTH_CLIENT_ID, CONNVO_AUTH_CLIENT_SECRET and CONNVO_CONVEX_AUDIENCE (README: "Per-user sign-in").`;
  }
}

/** "meetings" → "meeting", "meetingParticipants" → "meeting participant". */
function nounOf(table: string): string {
  const singular = table.endsWith("ies") ? `${table.slice(0, -3)}y` : table.replace(/s$/, "");
  return singular.replace(/[A-Z]/g, (c) => ` ${c.toLowerCase()}`);
}

function idHint(table: string): string {
  const where = table === "meetings" ? " (list_meetings finds them; a Connvo meeting URL holds one too)" : "";
  return `A ${nounOf(table)} ID is a Convex document ID from the "${sanitizeText(table, 40)}" table: 31-37 lowercase letters and digits (no i, l, o or u), as found in an earlier answer${where}.`;
}

function resourceText(resource: ResourceRef | undefined): string {
  return resource ? `${nounOf(resource.table)} ${sanitizeText(resource.id, 64)}` : "this item";
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${+(bytes / (1024 * 1024)).toFixed(1)} MB` : `${+(bytes / 1024).toFixed(1)} KB`;
}

export function failureMessage(f: Failure): string {
  switch (f.kind) {
    case "config":
      return `connvo-mcp is not configured: ${f.problems.map((p) => p.message).join(" ")}`;
    case "invalid_id":
      return `${f.argument} is not a Connvo ${nounOf(f.table)} ID: it ${f.reason}. ${idHint(f.table)} No request was sent.`;
    case "invalid_argument":
      return `${f.argument}: ${f.problem} No request was sent.`;
    case "token_expired":
      return `Connvo rejected the access token because it has expired${f.detail ? ` (${sanitizeText(redact(f.detail), 80)})` : ""}. ${refreshAdvice(f.source)}`;
    case "token_invalid":
      return `Connvo could not validate the access token${quoted(f.detail)}. Check that ${f.source ? sourceName(f.source) : "CONNVO_TOKEN"} gives the whole Connvo (WorkOS-issued) JWT for this deployment. ${refreshAdvice(f.source)}`;
    case "unauthorized":
      return `Connvo did not recognise a signed-in user for this call. Check that ${f.source ? sourceName(f.source) : "CONNVO_TOKEN"} gives your Connvo access token. ${refreshAdvice(f.source)}`;
    case "token_expired_local":
      return `The Connvo access token from ${sourceName(f.source)} expired at ${new Date(f.expiredAt).toISOString()} (${roughDuration(f.now - f.expiredAt)} ago), so no request was sent. ${refreshAdvice(f.source)}`;
    case "token_file":
      return (TOKEN_FILE_PROBLEMS[f.problem] ?? TOKEN_FILE_PROBLEMS.unreadable)(pathText(f.path), f.code);
    case "token_command":
      return tokenCommandMessage(f);
    case "forbidden":
      // Connvo checks participation before existence, so an ID of a meeting that does not exist
      // (or lives on another deployment) also lands here: say both.
      return `${
        f.resource?.table === "meetings"
          ? `The signed-in Connvo user is not a participant of ${resourceText(f.resource)}, so Connvo will not show it. Ask the meeting's organiser to add the user, or use a token of a participant.`
          : `The signed-in Connvo user may not access ${resourceText(f.resource)}. Ask its owner for access, or use a token of someone who has it.`
      } If the ID may be wrong, check it and that CONNVO_DEPLOYMENT (or CONNVO_CONVEX_URL) is the deployment it lives on.`;
    case "not_found":
      return `No ${resourceText(f.resource)} exists on this Connvo deployment. Check the ID and that CONNVO_DEPLOYMENT (or CONNVO_CONVEX_URL) is the deployment it lives on.`;
    case "conflict":
      return `${f.resource?.table === "meetings" ? `The notes of ${resourceText(f.resource)} were` : `${capitalize(resourceText(f.resource))} was`} changed by someone else at the same moment, twice in a row${quoted(f.detail)}. Nothing was written; read them again and retry.`;
    case "rate_limited":
      return `Connvo is rate limiting requests right now. Wait ${f.retryAfterSec !== undefined ? `${f.retryAfterSec} s` : "a few seconds"} before calling again, and avoid calling in a tight loop.${attemptsNote(f.attempts)}`;
    case "backend_validation":
      return `Connvo rejected the arguments${quoted(f.detail)}. Check that every ID argument is the ID of the kind of document it names (a meeting ID for meetingId, a user ID for userId, ...), as found in an earlier answer.`;
    case "unavailable":
      return `Connvo's backend at ${f.url} is temporarily unavailable (HTTP ${f.status}). Try again ${f.retryAfterSec !== undefined ? `in ${f.retryAfterSec} s` : "in a little while"}.${attemptsNote(f.attempts)}`;
    case "unreachable":
      return `Could not reach Connvo's backend at ${f.url} (${f.cause}). Check the network connection and that CONNVO_DEPLOYMENT or CONNVO_CONVEX_URL names a deployment that exists.${attemptsNote(f.attempts)}`;
    case "response_too_large":
      return `Connvo's backend at ${f.url} sent an answer larger than ${formatBytes(f.limitBytes)}, the limit set by CONNVO_MAX_RESPONSE_BYTES, so connvo-mcp stopped reading it. If the meeting really is that large, raise CONNVO_MAX_RESPONSE_BYTES; otherwise report it to Connvo.`;
    case "timeout":
      return `Connvo's backend at ${f.url} did not answer within ${f.timeoutMs / 1000} s, so the call was abandoned (the deadline covers retries and waiting for a free request slot). Try again; if it keeps happening, the deployment may be overloaded (CONNVO_TIMEOUT_MS sets the deadline).`;
    case "cancelled":
      return "The call was cancelled before Connvo answered.";
    case "bad_response":
      return `Connvo's backend at ${f.url} answered with something that is not what its OpenAPI document promises (${f.what}). This is a backend problem, not a problem with the arguments; try again later or report it to Connvo.`;
    case "function_missing":
      return `The deployment at ${f.url} has no public function ${f.functionPath}. Check that CONNVO_DEPLOYMENT or CONNVO_CONVEX_URL points at a Connvo deployment.`;
    case "function_failed":
      return `Connvo's function ${f.functionPath} failed on Connvo's side${quoted(f.detail)}. This is a problem in Connvo's backend, not with the arguments or the sign-in; try again later, and report it to Connvo if it persists.`;
    case "backend_error":
      return `Connvo's backend at ${f.url} failed to answer${f.status ? ` (HTTP ${f.status})` : ""}${f.code ? ` (error code ${sanitizeText(redact(f.code), 40)})` : ""}. Try again; if it persists, report it to Connvo.`;
    case "redirected":
      return `Connvo's backend at ${f.url} answered with a redirect to another address. connvo-mcp does not follow redirects, so your access token is never sent anywhere else, and retrying will not help. Set CONNVO_CONVEX_URL (or CONNVO_DEPLOYMENT) to the deployment's own URL, e.g. https://<name>.convex.cloud, not a web page or a proxy in front of it.`;
    case "token_unsendable":
      return `The Connvo access token contains ${
        f.problem === "control"
          ? "a line break or control character"
          : `a character outside printable ASCII (U+${f.codePoint.toString(16).toUpperCase().padStart(4, "0")})`
      } at position ${f.position + 1}, which an HTTP Authorization header cannot carry, so no request was sent. A Connvo access token is a JWT of letters, digits, dots, dashes and underscores: copy it again (a copy-paste often adds quotes, an ellipsis or a line break) into CONNVO_TOKEN, CONNVO_TOKEN_FILE or whatever CONNVO_TOKEN_COMMAND prints.`;
    case "token_placeholder":
      return `The Connvo access token is still the placeholder from the example configuration (for example "<your Connvo access token>"), so no request was sent. Replace it with your Connvo access token (the WorkOS-issued JWT; the README's "Getting a Connvo access token" says where to find it) and restart the server.`;
    case "token_timeout":
      return `connvo-mcp was still getting an access token from ${sourceName(f.source)} when the call's ${f.timeoutMs / 1000} s deadline passed, so nothing was sent to Connvo. ${
        f.source.kind === "command"
          ? "Run CONNVO_TOKEN_COMMAND yourself in a terminal: it must print a token without waiting for input (a sign-in prompt hangs it). CONNVO_TOKEN_COMMAND_TIMEOUT_MS stops it; CONNVO_TIMEOUT_MS sets the call's deadline."
          : "Check that the token source answers quickly; CONNVO_TIMEOUT_MS sets the call's deadline."
      }`;
    case "signed_out":
      return f.reason === "missing"
        ? `connvo-mcp is not signed in to Connvo: no sign-in is stored in ${pathText(f.path)} and no token is configured. Run \`connvo-mcp login\` in a terminal to sign in (no restart needed), or set CONNVO_TOKEN, CONNVO_TOKEN_FILE or CONNVO_TOKEN_COMMAND.`
        : "Your Connvo sign-in has ended: Connvo's sign-in service refused its refresh token (it was revoked, has expired, or you signed out elsewhere). Run `connvo-mcp login` in a terminal to sign in again (no restart needed), then retry.";
    case "auth_server":
      return authServerMessage(f);
    case "limit_reached":
      return {
        callerWatches: `This caller already has ${f.limit} watches open, the most at once. Wait for one to end or cancel one, then call again.`,
        watches: `connvo-mcp already has ${f.limit} watches open for all callers, the most at once. Try again in a minute.`,
        callerMeetings: `connvo-mcp already follows ${f.limit} meetings for this caller, the most at once. Wait for a watch of another meeting to end (or cancel one), then call again.`,
        meetings: `connvo-mcp already follows ${f.limit} meetings for all callers, the most at once. Try again in a minute.`,
      }[f.what];
    case "internal":
      return "connvo-mcp hit an internal error while handling this call. The server is still running; try again, and report it if it repeats.";
  }
}
