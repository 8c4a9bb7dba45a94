/**
 * The server's logger writes to stderr. In-process tests exercise error paths on purpose, and
 * their expected warnings ("retry 1 in 78 ms", "get_active_sessions failed: not_found") would be
 * printed between the runner's lines. Every test file's log lines are collected here instead, and
 * written out only for a test that fails, where they help. Spawned servers' stderr is read by the
 * helpers that spawn them and is not affected.
 */
import { beforeEach } from "vitest";
import { setLogSink } from "../../src/core/log.js";

let lines: string[] = [];

/** The log lines of the running test so far (each ends with a newline). */
export const capturedLogLines = (): readonly string[] => lines;

setLogSink((line) => {
  lines.push(line);
});

beforeEach(({ task, onTestFailed }) => {
  lines = [];
  onTestFailed(() => {
    if (lines.length > 0) process.stderr.write(`log lines of the failed test "${task.name}":\n${lines.join("")}`);
  });
});
