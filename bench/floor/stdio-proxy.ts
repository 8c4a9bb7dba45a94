// The floor of a stdio server that calls Convex: a bare Node process that answers each tools/call
// with connvo-mcp's own backend call (./backendCall.ts) and the value as JSON text. No MCP SDK, no
// validation, no summary. Reads CONNVO_CONVEX_URL and CONNVO_TOKEN.
import { serveBareStdio } from "../lib/bareStdio.js";
import { floorBackendCall } from "./backendCall.js";

const call = floorBackendCall();
serveBareStdio("proxy", async (args) => JSON.stringify(await call(args as Record<string, unknown>)));
