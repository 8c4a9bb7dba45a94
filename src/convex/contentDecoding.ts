/**
 * A response body decoded as fetch decodes it, for connvo-mcp's own HTTP client (fetch.ts and
 * exchange.ts): the codings Content-Encoding names, last applied first (gzip/x-gzip, deflate
 * zlib-wrapped or raw, br, zstd where this Node has it; at most 5), and the body as received when
 * a coding is unknown (as fetch does). Decoding streams, so a size limit counts decoded bytes as
 * they come and a small gzip bomb is stopped as soon as it grows past it.
 */
import { pipeline, type Readable, Transform } from "node:stream";

type Zlib = typeof import("node:zlib");

const MAX_CONTENT_CODINGS = 5;

// Only a compressed answer needs zlib.
let zlibLoading: Promise<Zlib> | undefined;
const loadZlib = () => {
  zlibLoading ??= import("node:zlib");
  return zlibLoading;
};

const noop = () => {};

/** `body` decoded by the codings of `contentEncoding` (a header's value, repeated ones as a list). */
export async function decodedBody(body: Readable, contentEncoding: string | string[] | undefined): Promise<Readable> {
  const value = Array.isArray(contentEncoding) ? contentEncoding.join(",") : contentEncoding;
  if (!value) return body;
  const codings = value.toLowerCase().split(",");
  if (codings.length > MAX_CONTENT_CODINGS) {
    const error = new Error(`too many content-encodings in response: ${codings.length}, maximum allowed is 5`);
    body.on("error", noop).destroy(error);
    return body;
  }
  const z = await loadZlib();
  const decoders: Readable[] = [];
  for (let i = codings.length - 1; i >= 0; i--) {
    const coding = (codings[i] as string).trim();
    const sync = { flush: z.constants.Z_SYNC_FLUSH, finishFlush: z.constants.Z_SYNC_FLUSH };
    if (coding === "gzip" || coding === "x-gzip") decoders.push(z.createGunzip(sync));
    else if (coding === "deflate") decoders.push(inflateZlibOrRaw(z, sync));
    else if (coding === "br") {
      const flush = z.constants.BROTLI_OPERATION_FLUSH;
      decoders.push(z.createBrotliDecompress({ flush, finishFlush: flush }));
    } else if (coding === "zstd" && "createZstdDecompress" in z) {
      const zs = z as unknown as {
        createZstdDecompress(o: object): Readable;
        constants: Record<string, number>;
      };
      decoders.push(
        zs.createZstdDecompress({ flush: zs.constants.ZSTD_e_continue, finishFlush: zs.constants.ZSTD_e_end }),
      );
    } else return body;
  }
  // Errors surface where the body is read (as "terminated", as with fetch); the callback only
  // keeps pipeline from reporting them a second time.
  return pipeline(body, ...(decoders as unknown as [NodeJS.ReadWriteStream]), () => {}) as unknown as Readable;
}

/**
 * "deflate" as fetch reads it: zlib-wrapped (what the spec says) or raw (what some servers send),
 * told apart by the first byte as undici's fetch does.
 */
function inflateZlibOrRaw(z: Zlib, options: import("node:zlib").ZlibOptions): Transform {
  let inflate: Transform | undefined;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (!inflate) {
        if (chunk.length === 0) return callback();
        inflate = ((chunk[0] as number) & 0x0f) === 0x08 ? z.createInflate(options) : z.createInflateRaw(options);
        inflate.on("data", (data: Buffer) => this.push(data));
        inflate.on("error", (error) => this.destroy(error));
      }
      inflate.write(chunk, callback);
    },
    flush(callback) {
      if (!inflate) return callback();
      inflate.once("end", () => callback());
      inflate.end();
    },
  });
}
