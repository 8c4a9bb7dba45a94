/**
 * Figure 5, every toolkit tool: for each example call of src/demo/examples.ts (a small and a
 * large one per read tool, valid against the demo deployment), the answer's text content in bytes
 * and tokens against the raw JSON the backend returned for it, and the call's median over stdio.
 *
 * The raw JSON is recorded, not guessed: a pass-through proxy in this process sits between a
 * connvo-mcp server and the demo deployment for the size run and keeps every function value the
 * backend returned during the call (compact JSON, summed over the call's requests). The timing
 * run uses a second server that talks to the deployment directly.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type BenchContext, type CallTarget, type Figure, interleaved, ms, pick } from "../lib/figure.js";
import type { Row } from "../lib/report.js";
import { textOf } from "../lib/stdio.js";
import { oursEnv, spawnStdio, subjectEnv } from "../lib/subjects.js";
import { countTokens, TOKENIZER, utf8Bytes } from "../lib/tokens.js";

interface ExampleCall {
  tool: string;
  args: Record<string, unknown>;
  size: "small" | "large";
}

interface Recorder {
  url: string;
  take(): string[];
  close(): Promise<void>;
}

/** A pass-through proxy that keeps the function values (`value` of Convex's answers) it relays. */
async function recordingProxy(target: string): Promise<Recorder> {
  let values: string[] = [];
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers, agent },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => {
          const body = Buffer.concat(chunks);
          try {
            const parsed = JSON.parse(body.toString("utf8")) as { status?: string; value?: unknown };
            if (parsed.status === "success") values.push(JSON.stringify(parsed.value));
          } catch {
            // not a function answer
          }
          res.writeHead(answer.statusCode ?? 500, answer.headers).end(body);
        });
      },
    );
    forward.on("error", () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    take() {
      const taken = values;
      values = [];
      return taken;
    },
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function loadExamples(): Promise<ExampleCall[] | undefined> {
  try {
    const examples = (await import("../../src/demo/examples.js")) as { exampleCalls?: () => ExampleCall[] };
    return examples.exampleCalls?.();
  } catch {
    return undefined;
  }
}

const label = (e: ExampleCall) => `${e.tool} ${e.size} ${JSON.stringify(e.args)}`;

export async function perToolFigure(ctx: BenchContext): Promise<Figure> {
  const section = `5. Every toolkit tool: answer vs the raw JSON the backend returned, and the median call over stdio (tokens: ${TOKENIZER})`;
  const examples = await loadExamples();
  if (!examples || examples.length === 0) {
    return {
      rows: [{ section, figure: "skipped: src/demo/examples.ts is missing", ours: "", peer: "", floor: "", ratio: "" }],
      targets: [],
      data: { skipped: "src/demo/examples.ts is missing" },
      method: [],
    };
  }
  const counts = ctx.smoke ? { warmup: 2, rounds: 1, perRound: 3 } : { warmup: 20, rounds: 4, perRound: 50 };

  // Sizes, through the recording proxy.
  const proxy = await recordingProxy(ctx.demo.url);
  const sized = spawnStdio(ctx.ours, subjectEnv({ CONNVO_CONVEX_URL: proxy.url, CONNVO_TOKEN: ctx.demo.token }));
  const sizes: Record<
    string,
    { text: number; tokens: number; raw: number; rawTokens: number; requests: number } | { failed: string }
  > = {};
  try {
    await sized.handshake();
    for (const example of examples) {
      proxy.take();
      try {
        const text = textOf(await sized.callTool(example.tool, example.args));
        const raw = proxy.take();
        const rawText = raw.join("\n");
        sizes[label(example)] = {
          text: utf8Bytes(text),
          tokens: countTokens(text),
          raw: raw.reduce((sum, value) => sum + utf8Bytes(value), 0),
          rawTokens: countTokens(rawText),
          requests: raw.length,
        };
      } catch (error) {
        sizes[label(example)] = { failed: (error as Error).message.slice(0, 160) };
      }
    }
  } finally {
    await sized.close();
    await proxy.close();
  }

  // Timing, straight to the deployment; the examples that answered, interleaved.
  const timed = spawnStdio(ctx.ours, oursEnv(ctx.demo));
  let calls: Record<string, { median: number; p99: number; n: number }> = {};
  try {
    await timed.handshake();
    const targets: CallTarget[] = examples
      .filter((e) => !("failed" in (sizes[label(e)] ?? { failed: "" })))
      .map((e) => ({ id: label(e), call: () => timed.callTool(e.tool, e.args), cpuMs: () => timed.cpuMs() }));
    calls = await interleaved(targets, counts);
  } finally {
    await timed.close();
  }

  const rows: Row[] = examples.map((e, i) => {
    const s = sizes[label(e)];
    const base = { section: i === 0 ? section : "", figure: `${e.tool} (${e.size}) ${JSON.stringify(e.args)}` };
    if (!s || "failed" in s)
      return { ...base, ours: `failed: ${s && "failed" in s ? s.failed : "?"}`, peer: "", floor: "", ratio: "" };
    const t = pick(calls, label(e));
    return {
      ...base,
      ours: `${s.text} B · ${s.tokens} tok · ${ms(t.median)}`,
      peer: "",
      floor: `raw JSON ${s.raw} B · ${s.rawTokens} tok (${s.requests} request${s.requests === 1 ? "" : "s"})`,
      ratio:
        s.raw > 0
          ? `${((s.text / s.raw) * 100).toFixed(1)}% of raw bytes, ${((s.tokens / s.rawTokens) * 100).toFixed(1)}% of tokens`
          : "",
    };
  });
  return {
    rows,
    targets: [],
    data: { sizes, calls },
    method: [
      `Every toolkit tool: the example calls of src/demo/examples.ts. Sizes: one call each through a pass-through proxy`,
      "  that records the function values the backend returned (raw JSON = those values re-serialized compactly, summed",
      `  over the call's requests). Timing: ${counts.warmup} warm-up calls each, then ${counts.rounds} rounds of ${counts.perRound} calls per example in`,
      "  rotating order on one connvo-mcp server (as launched), median over stdio.",
    ],
  };
}
