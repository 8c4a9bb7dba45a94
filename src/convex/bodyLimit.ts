/**
 * Reads a response body with a byte limit while it streams, so a hostile or broken backend cannot
 * make the server buffer (and then JSON-parse) an unbounded answer.
 */

/** Thrown when an answer is larger than the configured limit. */
export class ResponseTooLarge extends Error {
  constructor(readonly limitBytes: number) {
    super(`response body exceeds ${limitBytes} bytes`);
    this.name = "ResponseTooLarge";
  }
}

/**
 * The body as bytes, at most `limit` of them. Past the limit: with `truncate` the first `limit`
 * bytes (for error texts), otherwise ResponseTooLarge. Either way the rest is not downloaded.
 * The limit is on decoded bytes: fetch inflates a compressed body as it is read, and the bytes
 * counted here are the inflated ones, so a small gzip bomb is stopped as soon as it grows past it.
 */
export async function readBodyLimited(
  response: Response,
  limit: number,
  truncate = false,
): Promise<Uint8Array<ArrayBuffer>> {
  // A declared length only says something about the decoded size when nothing was encoded.
  const encoding = response.headers.get("content-encoding")?.trim().toLowerCase();
  const declared = !encoding || encoding === "identity" ? Number(response.headers.get("content-length")) : Number.NaN;
  if (!truncate && Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => {});
    throw new ResponseTooLarge(limit);
  }
  if (!response.body) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.byteLength > limit) {
        if (!truncate) throw new ResponseTooLarge(limit);
        chunks.push(value.subarray(0, limit - size));
        size = limit;
        break;
      }
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    // Stops the download of whatever is left (no-op when the stream already ended).
    reader.cancel().catch(() => {});
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
