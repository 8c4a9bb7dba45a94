import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Log lines of the code under test are collected, and printed only for a test that fails.
    setupFiles: ["test/setup/logs.ts"],
  },
});
