/**
 * The cheapest backend round trip: one persistent TCP socket, a hand-written HTTP/1.1 request and
 * a response read up to its Content-Length. A floor, not a client: no chunked bodies, no
 * encodings, one request at a time (a closed idle connection is reopened).
 */
import net from "node:net";

export interface RawHttp {
  post(path: string, body: string): Promise<string>;
  close(): void;
}

export function rawHttp(base: string, headers: Record<string, string>): RawHttp {
  const url = new URL(base);
  const head = Object.entries({ Host: url.host, "Content-Type": "application/json", ...headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  let socket: net.Socket | undefined;
  let buffer: Buffer = Buffer.alloc(0);
  let waiting: { resolve: (body: string) => void; reject: (error: Error) => void } | undefined;

  const open = () => {
    const s = net.connect(Number(url.port || 80), url.hostname);
    s.setNoDelay(true);
    s.on("data", (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      const end = buffer.indexOf("\r\n\r\n");
      if (end < 0) return;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(buffer.subarray(0, end).toString("latin1"))?.[1] ?? 0);
      if (buffer.length < end + 4 + length) return;
      const body = buffer.subarray(end + 4, end + 4 + length).toString("utf8");
      buffer = buffer.subarray(end + 4 + length);
      const w = waiting;
      waiting = undefined;
      w?.resolve(body);
    });
    s.on("error", () => {});
    s.on("close", () => {
      if (socket === s) socket = undefined;
      buffer = Buffer.alloc(0);
      const w = waiting;
      waiting = undefined;
      w?.reject(new Error("connection closed"));
    });
    return s;
  };

  const once = (path: string, body: string) =>
    new Promise<string>((resolve, reject) => {
      socket ??= open();
      waiting = { resolve, reject };
      socket.write(`POST ${path} HTTP/1.1\r\n${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    });

  return {
    // The server may have closed the idle connection just before: one new connection, one retry.
    post: (path, body) => once(path, body).catch(() => once(path, body)),
    close: () => socket?.destroy(),
  };
}
