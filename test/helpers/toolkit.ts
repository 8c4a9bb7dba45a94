/**
 * The toolkit as an agent meets it: a demo deployment (the real HTTP server speaking Convex's
 * wire protocol) and connvo-mcp in front of it, reached by a real MCP client over stdio (the
 * bundled CLI), Streamable HTTP (the bundled CLI with --http) or in-process (fast property runs).
 */
import { Client } from "@modelcontextprotocol/client";
import { type CallToolResult, InMemoryTransport } from "@modelcontextprotocol/server";
import { loadConfig } from "../../src/config/config.js";
import { createBackendProvider } from "../../src/convex/provider.js";
import { type DemoDeployment, type DemoDeploymentOptions, startDemoDeployment } from "../../src/demo/deployment.js";
import { createServerFactory } from "../../src/server.js";
import { selectTools, type ToolSelection } from "../../src/tools/inventory.js";
import { connectClient, spawnHttpServer } from "./httpServer.js";
import { spawnStdioServer } from "./stdioServer.js";

export type Via = "stdio" | "http" | "memory";

export interface Toolkit {
  demo: DemoDeployment;
  client: Client;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** Everything the server wrote to stderr so far ("" in memory). */
  stderr(): string;
  close(): Promise<void>;
}

export interface ToolkitOptions {
  demo?: DemoDeploymentOptions;
  /** An existing deployment to reuse (closed by its owner, not by the toolkit). */
  deployment?: DemoDeployment;
  env?: Record<string, string>;
  args?: string[];
  selection?: ToolSelection;
}

export async function startToolkit(via: Via, options: ToolkitOptions = {}): Promise<Toolkit> {
  const demo = options.deployment ?? (await startDemoDeployment(options.demo));
  const ownsDemo = options.deployment === undefined;
  const env = { CONNVO_CONVEX_URL: demo.url, CONNVO_TOKEN: demo.token, ...options.env };
  const args = [...(options.args ?? [])];
  if (options.selection?.enableWrites) args.push("--enable-writes");
  if (options.selection?.tools) args.push("--tools", options.selection.tools.join(","));
  let client: Client;
  let stderr: () => string = () => "";
  let stop: () => Promise<unknown>;
  if (via === "stdio") {
    const server = await spawnStdioServer({ env, args });
    client = server.client;
    stderr = () => server.transport.stderr;
    stop = () => server.close();
  } else if (via === "http") {
    const server = await spawnHttpServer({ env, args });
    client = await connectClient(server.url, "modern");
    stderr = server.stderr;
    stop = async () => {
      await client.close();
      await server.stop();
    };
  } else {
    const backendFor = createBackendProvider(loadConfig(env));
    const factory = createServerFactory({ backendFor, tools: selectTools(options.selection).tools });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await factory().connect(serverSide);
    client = new Client({ name: "connvo-mcp-tests", version: "0.0.0" });
    await client.connect(clientSide);
    stop = () => client.close();
  }
  return {
    demo,
    client,
    call: (name, callArgs = {}) => client.callTool({ name, arguments: callArgs }) as Promise<CallToolResult>,
    stderr,
    async close() {
      await stop();
      if (ownsDemo) await demo.close();
    },
  };
}

/** The structuredContent of a successful result (fails the test with the text otherwise). */
export function dataOf<T = Record<string, unknown>>(result: CallToolResult): T {
  if (result.isError || !result.structuredContent) {
    const text = result.content.map((c) => (c.type === "text" ? c.text : "")).join("\n");
    throw new Error(`expected a successful result, got: ${text}`);
  }
  return result.structuredContent as T;
}
