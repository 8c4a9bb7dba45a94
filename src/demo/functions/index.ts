/**
 * Every function the demo deployment serves. A new demo function is one export in a module here
 * and one line below; the deployment validates its args against the OpenAPI document and routes it
 * by kind. test/demo-functions.test.ts checks that every operation a tool calls has one.
 */
import type { DemoFunction } from "./context.js";
import * as insights from "./insights.js";
import * as meetings from "./meetings.js";
import * as notes from "./notes.js";
import * as people from "./people.js";
import * as prompts from "./prompts.js";
import * as transcripts from "./transcripts.js";

const MODULES: Record<string, DemoFunction>[] = [meetings, insights, prompts, people, transcripts, notes];

export const DEMO_FUNCTIONS: ReadonlyMap<string, DemoFunction> = new Map(
  MODULES.flatMap((module) => Object.values(module)).map((fn) => [fn.path, fn]),
);
