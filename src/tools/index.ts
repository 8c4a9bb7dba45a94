/** Every tool the server offers. Adding a tool means adding a file and a line here. */
import { createGetActiveSessionsTool } from "./getActiveSessions.js";
import type { AnyTool } from "./types.js";

export const ALL_TOOLS: readonly AnyTool[] = [createGetActiveSessionsTool()];
