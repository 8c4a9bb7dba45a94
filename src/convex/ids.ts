/**
 * Convex document ID codec (pure, no dependencies).
 *
 * Mirrors convex-backend `crates/value/src/id_v6.rs` and `crates/value/src/base32.rs`:
 *
 *   bytes   = VInt(tableNumber) ‖ internalId (16 bytes) ‖ footer (2 bytes)
 *   footer  = fletcher16(VInt ‖ internalId) XOR version(0), written little-endian
 *   encoded = lowercase Crockford base32 of `bytes`, MSB-first 5-bit groups, no padding
 *
 * VInt is LEB128-style: low 7 bits first, high bit = "more bytes follow", 1..5 bytes (u32).
 * Fletcher-16 here is the modulus-256 variant (wrapping u8 sums), low byte = c0, high = c1.
 * Table number 0 is invalid. A 19..23-byte ID encodes to 31, 32, 34, 36 or 37 characters.
 *
 * We accept only the canonical encoding (decode → re-encode must give the same string). The Rust
 * decoder is slightly laxer (it ignores the unused trailing bits of the last character and accepts
 * over-long VInts), but every ID Convex hands out is canonical, so strictness only rejects strings
 * no Convex deployment ever produced — which is exactly what a pre-flight check wants to flag.
 *
 * The only import is node:crypto, for `deterministicConvexId` (stable demo data).
 */

import { createHash } from "node:crypto";

/** Crockford base32, lowercase, without i l o u. */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** char code → 5-bit value, or -1. Only ASCII is ever looked up. */
const DECODE: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

const INTERNAL_ID_LEN = 16;
const FOOTER_LEN = 2;
const VERSION = 0;
const MAX_TABLE_NUMBER = 0xffff_ffff;

/** base32 length of `byteLen` bytes, as base32.rs `encoded_len`. */
function encodedLen(byteLen: number): number {
  const lastChunk = [0, 2, 4, 5, 7][byteLen % 5] as number;
  return Math.floor(byteLen / 5) * 8 + lastChunk;
}

/** Shortest possible ID: 1-byte table number; longest: 5-byte table number. */
export const MIN_CONVEX_ID_LENGTH = encodedLen(1 + INTERNAL_ID_LEN + FOOTER_LEN); // 31
export const MAX_CONVEX_ID_LENGTH = encodedLen(5 + INTERNAL_ID_LEN + FOOTER_LEN); // 37
/** The lengths a canonical ID can have (33 and 35 are never produced). */
const CANONICAL_LENGTHS = new Set([19, 20, 21, 22, 23].map(encodedLen));

function base32Encode(data: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1; // keep only the unread bits so `buffer` never overflows
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Decodes base32; returns undefined on any character outside the alphabet. Truncates like Rust. */
function base32Decode(s: string): Uint8Array | undefined {
  const out = new Uint8Array(Math.floor((s.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let pos = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    const v = code < 128 ? (DECODE[code] as number) : -1;
    if (v < 0) return undefined;
    buffer = (buffer << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      if (pos < out.length) out[pos++] = (buffer >>> bits) & 0xff;
      buffer &= (1 << bits) - 1;
    }
  }
  return out;
}

function vintEncode(n: number): number[] {
  const out: number[] = [];
  let rest = n >>> 0;
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  out.push(rest);
  return out;
}

/** [value, bytesRead] or undefined when truncated or longer than 5 bytes (id_v6.rs vint_decode). */
function vintDecode(buf: Uint8Array): [number, number] | undefined {
  let n = 0;
  for (let i = 0; i < 5; i++) {
    const byte = buf[i];
    if (byte === undefined) return undefined;
    // Multiply instead of shifting: a 5th byte would overflow a JS int32 shift.
    n += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) return [n, i + 1];
  }
  return undefined;
}

/** Fletcher-16 with modulus 256, as id_v6.rs `fletcher16`: (c1 << 8) | c0. */
function fletcher16(buf: Uint8Array, len: number): number {
  let c0 = 0;
  let c1 = 0;
  for (let i = 0; i < len; i++) {
    c0 = (c0 + (buf[i] as number)) & 0xff;
    c1 = (c1 + c0) & 0xff;
  }
  return (c1 << 8) | c0;
}

/** Encodes a document ID. Throws on an invalid table number or internal ID length (programmer error). */
export function encodeConvexId(tableNumber: number, randomBytes: Uint8Array): string {
  if (!Number.isInteger(tableNumber) || tableNumber < 1 || tableNumber > MAX_TABLE_NUMBER) {
    throw new RangeError(`table number must be an integer in 1..${MAX_TABLE_NUMBER}`);
  }
  if (randomBytes.length !== INTERNAL_ID_LEN) {
    throw new RangeError(`internal ID must be ${INTERNAL_ID_LEN} bytes`);
  }
  const vint = vintEncode(tableNumber);
  const buf = new Uint8Array(vint.length + INTERNAL_ID_LEN + FOOTER_LEN);
  buf.set(vint, 0);
  buf.set(randomBytes, vint.length);
  const bodyLen = vint.length + INTERNAL_ID_LEN;
  const footer = fletcher16(buf, bodyLen) ^ VERSION;
  buf[bodyLen] = footer & 0xff; // little-endian, as `footer.to_le_bytes()`
  buf[bodyLen + 1] = footer >>> 8;
  return base32Encode(buf);
}

type DecodeResult = { ok: true; tableNumber: number; internalId: Uint8Array } | { ok: false; reason: string };

/**
 * The one place that decides validity, so `isConvexId` and `explainInvalidConvexId` never disagree.
 * Reasons never quote the input: it may be huge, or hostile text headed for a model's context.
 */
function decode(s: unknown): DecodeResult {
  if (typeof s !== "string") return { ok: false, reason: "is not a string" };
  // Length first: cheap, and keeps a 10 MB string from being scanned (as id_v6.rs does).
  const len = s.length;
  if (len < MIN_CONVEX_ID_LENGTH || len > MAX_CONVEX_ID_LENGTH) {
    return {
      ok: false,
      reason: `has length ${len}; Convex IDs are ${MIN_CONVEX_ID_LENGTH}-${MAX_CONVEX_ID_LENGTH} characters`,
    };
  }
  let result = recent.get(s);
  if (!result) {
    result = decodeWellSized(s, len);
    if (recent.size >= RECENT_IDS) recent.clear();
    recent.set(s, result);
  }
  return result;
}

/**
 * The last IDs decoded (valid or not): an agent asks about the same few meetings over and over,
 * and a decode with its canonical re-encoding allocates a few KB. Results are never handed out
 * mutable (decodeConvexId copies the internal ID).
 */
const recent = new Map<string, DecodeResult>();
const RECENT_IDS = 256;

function decodeWellSized(s: string, len: number): DecodeResult {
  const bytes = base32Decode(s);
  if (bytes === undefined) {
    return /[A-Z]/.test(s) && base32Decode(s.toLowerCase()) !== undefined
      ? { ok: false, reason: "contains uppercase letters; Convex IDs are lowercase" }
      : { ok: false, reason: "contains characters outside Convex's ID alphabet" };
  }
  if (!CANONICAL_LENGTHS.has(len)) {
    return { ok: false, reason: `has length ${len}; Convex IDs are 31, 32, 34, 36 or 37 characters` };
  }
  const vint = vintDecode(bytes);
  if (vint === undefined || vint[0] === 0 || vint[0] > MAX_TABLE_NUMBER) {
    return { ok: false, reason: "does not start with a valid table number" };
  }
  const [tableNumber, vintLen] = vint;
  const bodyLen = vintLen + INTERNAL_ID_LEN;
  if (bodyLen + FOOTER_LEN !== bytes.length) {
    return { ok: false, reason: "has a length that does not fit its table number" };
  }
  const footer = (bytes[bodyLen] as number) | ((bytes[bodyLen + 1] as number) << 8);
  if ((fletcher16(bytes, bodyLen) ^ VERSION) !== footer) {
    return { ok: false, reason: "checksum does not match" };
  }
  const internalId = bytes.slice(vintLen, bodyLen);
  // Canonical form: catches over-long VInts and stray bits in the last character.
  if (encodeConvexId(tableNumber, internalId) !== s) {
    return { ok: false, reason: "is not in canonical form" };
  }
  return { ok: true, tableNumber, internalId };
}

/** True when `s` is a well-formed Convex document ID (any table). Never throws. */
export function isConvexId(s: unknown): boolean {
  return decode(s).ok;
}

/**
 * undefined when `s` is a valid ID, otherwise a short reason ("checksum does not match", ...)
 * that is safe to show: it never contains any of the input.
 */
export function explainInvalidConvexId(s: unknown): string | undefined {
  const result = decode(s);
  return result.ok ? undefined : result.reason;
}

/** The table number and 16-byte internal ID of a valid ID, or undefined. */
export function decodeConvexId(s: string): { tableNumber: number; internalId: Uint8Array } | undefined {
  const result = decode(s);
  return result.ok ? { tableNumber: result.tableNumber, internalId: result.internalId.slice() } : undefined;
}

/**
 * A valid, stable ID for demo data: the internal ID is the first 16 bytes of sha256(table:seed),
 * so the same seed gives the same ID on every run and machine.
 */
export function deterministicConvexId(tableNumber: number, seed: string): string {
  const digest = sha256(`${tableNumber}:${seed}`);
  return encodeConvexId(tableNumber, digest.subarray(0, INTERNAL_ID_LEN));
}

function sha256(text: string): Uint8Array {
  return new Uint8Array(createHash("sha256").update(text, "utf8").digest());
}
