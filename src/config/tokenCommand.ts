/**
 * CONNVO_TOKEN_COMMAND: a command whose stdout is a fresh token, as `gh auth token` works. It is
 * run through /bin/sh (so pipes and quoting work as typed in a config file) when there is no
 * token yet, when the token has expired or expires within a minute, and once after the backend
 * rejected the token. Concurrent callers share one run. The command's stdin is closed (it must
 * not prompt), it runs in its own process group so a timeout can kill whatever it started, and
 * its stdout is registered as a secret before anything about the run is reported. What it writes
 * to stderr is shown in errors only with token-like words replaced, since a token it never
 * printed on stdout is not known to the redactor. A run ends when the shell exits: anything it
 * left running in the background (even in a session of its own, out of reach of the group kill)
 * no longer holds the server, because its pipes are destroyed and the child is unreferenced.
 */
import type { spawn as Spawn } from "node:child_process";
import { createRequire } from "node:module";
import { type Failure, ToolFailure } from "../core/failures.js";
import { log, registerSecret } from "../core/log.js";
import { normalizeToken } from "./config.js";
import { type TokenSource, tokenExpiry } from "./tokenSource.js";

// node:child_process takes ~6 ms to load; only CONNVO_TOKEN_COMMAND users need it, so load it then.
const lazyRequire = createRequire(import.meta.url);

export interface CommandTokenSourceOptions {
  timeoutMs: number;
  /** Refresh when the token expires within this long; default 60 s. */
  refreshBeforeMs?: number;
  now?: () => number;
  /** For tests; default /bin/sh. */
  shell?: string;
}

const MAX_STDOUT_BYTES = 64 * 1024;
const MAX_STDERR_CHARS = 2000;
export const DEFAULT_REFRESH_BEFORE_MS = 60_000;
/**
 * After the shell exits, how long output still in its pipes may take to arrive when something it
 * started in the background keeps them open (so they never reach end-of-file).
 */
const AFTER_EXIT_MS = 100;

type CommandFailure = Omit<Extract<Failure, { kind: "token_command" }>, "kind">;

/** A run of bearer-token characters (RFC 6750 b64token: `=` only as trailing padding). */
const TOKEN_LIKE_WORD = /[A-Za-z0-9\-._~+/]{16,}=*/g;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/;

/**
 * The command's stderr, fit to show: every long word of token characters that mixes letters and
 * digits (an opaque token, a JWT, an API key) becomes "[redacted]". Ordinary messages ("not signed
 * in", "exit status 3", a timestamp) keep their words.
 */
export function scrubCommandStderr(text: string): string {
  return text.replace(TOKEN_LIKE_WORD, (word) =>
    /[A-Za-z]/.test(word) && /\d/.test(word) && !ISO_TIMESTAMP.test(word) ? "[redacted]" : word,
  );
}

/**
 * Runs the command once; resolves with stdout, or rejects with a ToolFailure. `spawn` rather than
 * `execFile`: execFile cannot start a process group, and killing only `sh` on a timeout would
 * leave its children running and holding stdout open.
 */
function runCommand(command: string, shell: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    let settled = false;
    let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let stdoutEnded = false;
    let stderrEnded = false;
    let lingerTimer: NodeJS.Timeout | undefined;
    const finish = (outcome: { stdout: string } | CommandFailure) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(lingerTimer);
      release();
      // Whatever it printed may be a token, even on failure: redact it everywhere from now on.
      // Only token-like lines, so that ordinary words in a chatty output do not become "secrets".
      for (const line of stdout.split("\n")) {
        const candidate = normalizeToken(line);
        if (candidate && candidate.length >= 20 && !/\s/.test(candidate)) registerSecret(candidate);
      }
      if ("stdout" in outcome) resolve(outcome.stdout);
      else {
        const shown = scrubCommandStderr(stderr.trim());
        reject(new ToolFailure({ kind: "token_command", ...outcome, stderr: shown || undefined }));
      }
    };
    /** The run is over: nothing it left behind may keep this process alive or read from it. */
    const release = () => {
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.unref();
    };
    const conclude = () => {
      if (!exited) return;
      const { code, signal } = exited;
      if (code === 0) finish({ stdout });
      else if (code !== null) finish({ problem: "failed", exitCode: code });
      else finish({ problem: "killed", signal: signal ?? undefined });
    };
    const onStreamEnd = () => {
      if (exited && stdoutEnded && stderrEnded) conclude();
    };
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    const { spawn } = lazyRequire("node:child_process") as { spawn: typeof Spawn };
    const child = spawn(shell, ["-c", command], {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
      windowsHide: true,
    });
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk;
      if (stdout.length > MAX_STDOUT_BYTES) {
        killGroup();
        finish({ problem: "not_a_token" });
      }
    });
    child.stderr.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-MAX_STDERR_CHARS); // the end of stderr says what went wrong
    });
    // A destroyed pipe may report an error; the outcome is decided elsewhere.
    child.stdout.on("error", () => {});
    child.stderr.on("error", () => {});
    child.stdout.once("end", () => {
      stdoutEnded = true;
      onStreamEnd();
    });
    child.stderr.once("end", () => {
      stderrEnded = true;
      onStreamEnd();
    });
    child.on("error", (error: NodeJS.ErrnoException) => finish({ problem: "spawn", code: error.code }));
    child.on("exit", (code, signal) => {
      exited = { code, signal };
      if (stdoutEnded && stderrEnded) return conclude();
      // Something it started still holds the pipes. Output the shell wrote before exiting is
      // already in them: give it a moment, then one more turn of the event loop (so a loop that
      // was busy when the timer fired still reads the pipes first), and conclude.
      lingerTimer = setTimeout(() => setImmediate(conclude), AFTER_EXIT_MS);
    });
    const timer = setTimeout(() => {
      // The whole group: `sh -c` may have started children that hold stdout open.
      killGroup();
      finish({ problem: "timeout", timeoutMs });
    }, timeoutMs);
  });
}

export function commandTokenSource(command: string, options: CommandTokenSourceOptions): TokenSource {
  const now = options.now ?? Date.now;
  const refreshBeforeMs = options.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS;
  const shell = options.shell ?? "/bin/sh";
  let current: string | undefined;
  let running: Promise<string> | undefined;

  async function fetchToken(): Promise<string> {
    const stdout = await runCommand(command, shell, options.timeoutMs);
    const token = normalizeToken(stdout);
    if (!token) throw new ToolFailure({ kind: "token_command", problem: "empty" });
    if (/\s/.test(token)) throw new ToolFailure({ kind: "token_command", problem: "not_a_token" });
    registerSecret(token);
    if (token !== current) {
      const exp = tokenExpiry(token);
      log(
        "info",
        `CONNVO_TOKEN_COMMAND gave a new token${exp !== undefined ? ` (expires ${new Date(exp).toISOString()})` : ""}`,
      );
    }
    current = token;
    return token;
  }

  /** Concurrent callers share one run of the command. */
  function refresh(): Promise<string> {
    running ??= fetchToken().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    info: { kind: "command" },
    async get() {
      if (current === undefined) return refresh();
      const exp = tokenExpiry(current);
      if (exp === undefined || exp - now() > refreshBeforeMs) return current;
      try {
        return await refresh();
      } catch (error) {
        // Still valid for a few seconds: better used than replaced by an error.
        if (exp > now()) {
          log("warn", `CONNVO_TOKEN_COMMAND failed; using the current token until it expires`);
          return current;
        }
        throw error;
      }
    },
    async afterRejection(rejected) {
      // Another call may already have refreshed past the rejected token.
      if (current !== undefined && current !== rejected && !running) return current;
      const token = await refresh();
      return token !== rejected ? token : undefined;
    },
  };
}
