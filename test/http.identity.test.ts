/**
 * The per-user sign-in seam: what the transport verified reaches the tool handler as the caller
 * identity, and the backend is chosen from it, in both protocol eras. Runs the HTTP app in process
 * with a recording `backendFor`, so the caller each tool call was served for is observable.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { CallToolResult } from "@modelcontextprotocol/server";
import { afterEach, describe, expect, it } from "vitest";
import { type HttpConfig, parseHttpConfig } from "../src/config/http.js";
import { ToolFailure } from "../src/core/failures.js";
import { DEMO_MEETINGS } from "../src/demo/seed.js";
import { type CallerIdentity, createServerFactory } from "../src/server.js";
import { createHttpApp, type HttpApp } from "../src/transports/http/app.js";
import { identifyHttpCaller } from "../src/transports/http/auth.js";
import { connectClient, type Era } from "./helpers/httpServer.js";

const SECRET = "identity-test-secret-0123456789";
const running: Array<{ server: Server; app: HttpApp }> = [];

async function serve(env: Record<string, string>): Promise<{ url: string; callers: CallerIdentity[] }> {
  const parsed = parseHttpConfig({ CONNVO_MCP_HTTP_PORT: "0", ...env });
  if (!parsed.ok) throw new Error(parsed.errors.join("\n"));
  const config: HttpConfig = parsed.config;
  const callers: CallerIdentity[] = [];
  const factory = createServerFactory({
    identify: identifyHttpCaller,
    backendFor(caller) {
      callers.push(caller);
      throw new ToolFailure({ kind: "unauthorized" }); // the caller is all this test needs
    },
  });
  const app = createHttpApp(factory, config);
  const server = createServer(app.listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  running.push({ server, app });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`, callers };
}

afterEach(async () => {
  for (const { server, app } of running.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await app.close();
  }
});

const ERAS: Era[] = ["legacy", "modern"];

describe.each(ERAS)("%s era", (era) => {
  it("a caller who presented the shared secret reaches the backend choice as shared-secret", async () => {
    const { url, callers } = await serve({ CONNVO_MCP_HTTP_TOKEN: SECRET });
    const client = await connectClient(url, era, SECRET);
    try {
      const result = (await client.callTool({
        name: "get_active_sessions",
        arguments: { meetingId: DEMO_MEETINGS.healthy.id },
      })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(callers).toEqual([{ kind: "shared-secret" }]);
    } finally {
      await client.close();
    }
  });

  it("without auth (loopback) the caller is the local user", async () => {
    const { url, callers } = await serve({});
    const client = await connectClient(url, era);
    try {
      await client.callTool({ name: "get_active_sessions", arguments: { meetingId: DEMO_MEETINGS.healthy.id } });
      expect(callers).toEqual([{ kind: "local" }]);
    } finally {
      await client.close();
    }
  });
});
