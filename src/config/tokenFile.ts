/**
 * CONNVO_TOKEN_FILE: the token lives in a file that something else (a sign-in helper, a sidecar)
 * rewrites when it rotates. Every use stats the file and re-reads it when its identity, size or
 * times changed; that alone is correct, including for editors and sidecars that write a new file
 * and rename it over the old one (the inode changes). A directory watcher additionally marks the
 * file dirty, for filesystems whose timestamps are too coarse to show a quick rewrite.
 */
import { type FSWatcher, type Stats, watch } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { type TokenFileProblem, ToolFailure } from "../core/failures.js";
import { registerSecret } from "../core/log.js";
import { normalizeToken } from "./config.js";
import type { TokenSource } from "./tokenSource.js";

/** A JWT is a few KB at most; anything much larger is not a token file. */
const MAX_TOKEN_FILE_BYTES = 64 * 1024;

export interface FileTokenSource extends TokenSource {
  /** Stops watching the directory. */
  close(): void;
}

const fail = (path: string, problem: TokenFileProblem, code?: string): never => {
  throw new ToolFailure({ kind: "token_file", path, problem, code });
};

function fileProblem(error: unknown): { problem: TokenFileProblem; code?: string } {
  const code = (error as { code?: unknown })?.code;
  if (code === "ENOENT" || code === "ENOTDIR") return { problem: "missing" };
  return { problem: "unreadable", code: typeof code === "string" ? code : undefined };
}

const sameFile = (a: Stats, b: Stats) =>
  a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;

export function fileTokenSource(path: string): FileTokenSource {
  let cached: { token: string; stats: Stats } | undefined;
  let dirty = false;
  let watcher: FSWatcher | undefined;
  let reading: Promise<string> | undefined;

  function startWatching(): void {
    if (watcher) return;
    try {
      // The directory, not the file: a rename-replace swaps the file a file watch would follow.
      watcher = watch(dirname(path), { persistent: false }, (_event, filename) => {
        if (!filename || filename.toString() === basename(path)) dirty = true;
      });
      watcher.on("error", () => {
        watcher?.close();
        watcher = undefined; // the stat on every use still notices changes
      });
    } catch {
      // The directory may not exist yet; the stat on every use covers us.
    }
  }

  async function read(): Promise<string> {
    let stats: Stats;
    try {
      stats = await stat(path);
    } catch (error) {
      const { problem, code } = fileProblem(error);
      return fail(path, problem, code);
    }
    if (!stats.isFile()) return fail(path, "not_a_file");
    if (cached && !dirty && sameFile(cached.stats, stats)) return cached.token;
    if (stats.size > MAX_TOKEN_FILE_BYTES) return fail(path, "too_large");
    // Cleared before reading: a change that lands during the read marks it dirty again.
    dirty = false;
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      const { problem, code } = fileProblem(error);
      return fail(path, problem, code);
    }
    const token = normalizeToken(text);
    if (!token) return fail(path, "empty");
    registerSecret(token);
    if (/\s/.test(token)) return fail(path, "not_a_token");
    cached = { token, stats };
    return token;
  }

  /** Concurrent calls share one stat/read. */
  function current(): Promise<string> {
    startWatching();
    reading ??= read().finally(() => {
      reading = undefined;
    });
    return reading;
  }

  return {
    info: { kind: "file", path },
    get: current,
    async afterRejection(rejected) {
      // The helper may have rotated the token a moment ago, within the same timestamp tick.
      dirty = true;
      const token = await current();
      return token !== rejected ? token : undefined;
    },
    close() {
      watcher?.close();
      watcher = undefined;
    },
  };
}
