/**
 * The Convex ID codec must accept every ID a real deployment hands out and reject the rest, so it
 * is checked against convex-backend's own stability fixture, against IDs seen in public Convex apps,
 * and against an independent (BigInt-based) encoder written here.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeConvexId,
  deterministicConvexId,
  encodeConvexId,
  explainInvalidConvexId,
  isConvexId,
  MAX_CONVEX_ID_LENGTH,
  MIN_CONVEX_ID_LENGTH,
} from "../src/convex/ids.js";
import { DEMO_MEETINGS, DEMO_MISSING_MEETING_ID, DEMO_USER_ID, TABLE_NUMBERS } from "../src/demo/seed.js";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** Independent base32 (MSB-first 5-bit groups, zero-padded tail) for crafting raw byte strings. */
function base32(bytes: number[]): string {
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  const bits = bytes.length * 8;
  const chars = Math.ceil(bits / 5);
  value <<= BigInt(chars * 5 - bits);
  let out = "";
  for (let i = chars - 1; i >= 0; i--) out += ALPHABET[Number((value >> BigInt(i * 5)) & 31n)];
  return out;
}

/** Independent Fletcher-16 (mod 256) + little-endian footer, as id_v6.rs. */
function withFooter(body: number[]): number[] {
  let c0 = 0;
  let c1 = 0;
  for (const b of body) {
    c0 = (c0 + b) % 256;
    c1 = (c1 + c0) % 256;
  }
  return [...body, c0, c1];
}

/** convex-backend id_v6.rs test_document_id_stability: table 1017, internal id 251, 251², ... */
const STABILITY_INTERNAL_ID = (() => {
  const id = new Uint8Array(16);
  id[0] = 251;
  for (let i = 1; i < 16; i++) id[i] = ((id[i - 1] as number) * 251) & 0xff;
  return id;
})();
const STABILITY_FIXTURE = "z43zp6c3e75gkmz1kfwj6mbbx5sw281h";

/** IDs quoted in public Convex apps' code and docs (error reports, migrations). */
const REAL_WORLD_IDS = [
  "js7b78nydn0d60c1zqbvfratrx7tq03q",
  "js79xewp66skzqe3tv8r0ztd457y9qeh",
  "js7f960bfc0ck66cb29y380m8h7y86j3",
  "k1764wwsyczv92a3g4q3gp0egn85n0q8",
];

const allSeededIds = (): string[] => {
  const now = Date.parse("2025-06-02T15:00:00Z");
  const ids = [DEMO_USER_ID, DEMO_MISSING_MEETING_ID];
  for (const meeting of Object.values(DEMO_MEETINGS)) {
    ids.push(meeting.id);
    for (const row of meeting.sessions(now)) ids.push(row._id, row.meetingId, row.userId, row.user._id);
  }
  return ids;
};

describe("known-good IDs", () => {
  it("reproduces convex-backend's stability fixture exactly", () => {
    expect(encodeConvexId(1017, STABILITY_INTERNAL_ID)).toBe(STABILITY_FIXTURE);
    const decoded = decodeConvexId(STABILITY_FIXTURE);
    expect(decoded?.tableNumber).toBe(1017);
    expect([...(decoded?.internalId ?? [])]).toEqual([...STABILITY_INTERNAL_ID]);
    expect(isConvexId(STABILITY_FIXTURE)).toBe(true);
  });

  it.each(REAL_WORLD_IDS)("accepts %s, an ID from a real deployment", (id) => {
    expect(explainInvalidConvexId(id)).toBeUndefined();
    expect(isConvexId(id)).toBe(true);
    expect(decodeConvexId(id)?.internalId).toHaveLength(16);
  });

  it("accepts every seeded demo ID, each in its own table", () => {
    const ids = allSeededIds();
    expect(ids.length).toBeGreaterThan(2000);
    for (const id of ids) expect(explainInvalidConvexId(id), id).toBeUndefined();
    expect(decodeConvexId(DEMO_USER_ID)?.tableNumber).toBe(TABLE_NUMBERS.users);
    expect(decodeConvexId(DEMO_MEETINGS.healthy.id)?.tableNumber).toBe(TABLE_NUMBERS.meetings);
    const row = DEMO_MEETINGS.healthy.sessions(0)[0];
    expect(decodeConvexId(row?._id ?? "")?.tableNumber).toBe(TABLE_NUMBERS.webrtcSessions);
  });

  it("keeps demo IDs stable across runs (docs and benchmarks quote them)", () => {
    expect(deterministicConvexId(TABLE_NUMBERS.meetings, "meeting:healthy")).toBe(DEMO_MEETINGS.healthy.id);
    expect(DEMO_MEETINGS.healthy.id).toBe("j57a1ew0pgfwakvjk487vpaq8wrcf9sq");
    expect(DEMO_USER_ID).toBe("j976h5485rrtprabc2fgzqennys97kpj");
    expect(deterministicConvexId(5, "a")).not.toBe(deterministicConvexId(5, "b"));
  });
});

describe("round trip", () => {
  it("encodes to a canonical length and decodes back, for any table number and internal ID", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0xffff_ffff }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (table, internal) => {
          const id = encodeConvexId(table, internal);
          expect([31, 32, 34, 36, 37]).toContain(id.length);
          expect(id).toMatch(/^[0-9a-hjkmnp-tv-z]+$/);
          const decoded = decodeConvexId(id);
          expect(decoded?.tableNumber).toBe(table);
          expect([...(decoded?.internalId ?? [])]).toEqual([...internal]);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("agrees with an independent encoder", () => {
    // table 1017 → VInt [0xf9, 0x07]
    expect(base32(withFooter([0xf9, 0x07, ...STABILITY_INTERNAL_ID]))).toBe(STABILITY_FIXTURE);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 127 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (table, internal) => {
          expect(encodeConvexId(table, internal)).toBe(base32(withFooter([table, ...internal])));
        },
      ),
    );
  });

  it("covers the length boundaries: 1-byte and 5-byte table numbers", () => {
    const zeros = new Uint8Array(16);
    expect(encodeConvexId(1, zeros)).toHaveLength(MIN_CONVEX_ID_LENGTH);
    expect(encodeConvexId(0xffff_ffff, zeros)).toHaveLength(MAX_CONVEX_ID_LENGTH);
    expect(isConvexId(encodeConvexId(0xffff_ffff, zeros))).toBe(true);
  });

  it("refuses to encode what cannot be an ID", () => {
    expect(() => encodeConvexId(0, new Uint8Array(16))).toThrow(RangeError);
    expect(() => encodeConvexId(2 ** 32, new Uint8Array(16))).toThrow(RangeError);
    expect(() => encodeConvexId(1.5, new Uint8Array(16))).toThrow(RangeError);
    expect(() => encodeConvexId(1, new Uint8Array(15))).toThrow(RangeError);
  });
});

const KNOWN_REASONS = new RegExp(
  `^(${[
    "is not a string",
    "has length \\d+; Convex IDs are 31-37 characters",
    "has length \\d+; Convex IDs are 31, 32, 34, 36 or 37 characters",
    "contains uppercase letters; Convex IDs are lowercase",
    "contains characters outside Convex's ID alphabet",
    "does not start with a valid table number",
    "has a length that does not fit its table number",
    "checksum does not match",
    "is not in canonical form",
  ].join("|")})$`,
);

describe("rejections", () => {
  const valid = [
    STABILITY_FIXTURE,
    ...REAL_WORLD_IDS,
    DEMO_MEETINGS.healthy.id,
    encodeConvexId(7, new Uint8Array(16).fill(9)),
  ];

  it("rejects every single-character substitution (the checksum or canonical form catches it)", () => {
    for (const id of valid) {
      for (let i = 0; i < id.length; i++) {
        for (const c of ALPHABET) {
          if (c === id[i]) continue;
          const flipped = id.slice(0, i) + c + id.slice(i + 1);
          expect(isConvexId(flipped), `${id} @${i} → ${c}`).toBe(false);
        }
      }
    }
    const last = STABILITY_FIXTURE.slice(0, -1) + (STABILITY_FIXTURE.endsWith("h") ? "j" : "h");
    expect(explainInvalidConvexId(last)).toBe("checksum does not match");
  });

  it("rejects characters outside the alphabet, including i, l, o and u", () => {
    for (const bad of ["i", "l", "o", "u", "-", "_", " ", "é", "\u200b", "\n"]) {
      const id = `${bad}${STABILITY_FIXTURE.slice(1)}`;
      expect(isConvexId(id)).toBe(false);
      expect(explainInvalidConvexId(id)).toBe("contains characters outside Convex's ID alphabet");
    }
  });

  it("rejects uppercase and says so", () => {
    expect(isConvexId(STABILITY_FIXTURE.toUpperCase())).toBe(false);
    expect(explainInvalidConvexId(STABILITY_FIXTURE.toUpperCase())).toBe(
      "contains uppercase letters; Convex IDs are lowercase",
    );
  });

  it("rejects wrong lengths with the length in the reason", () => {
    expect(explainInvalidConvexId("")).toBe("has length 0; Convex IDs are 31-37 characters");
    expect(explainInvalidConvexId("standup-tues")).toBe("has length 12; Convex IDs are 31-37 characters");
    expect(explainInvalidConvexId(STABILITY_FIXTURE.slice(0, 30))).toMatch(/^has length 30;/);
    expect(explainInvalidConvexId(`${STABILITY_FIXTURE}000000`)).toMatch(/^has length 38;/);
    // 33 and 35 characters are inside the range but no ID has them.
    expect(explainInvalidConvexId(`${STABILITY_FIXTURE}0`)).toMatch(/^has length 33;/);
    expect(explainInvalidConvexId(`${STABILITY_FIXTURE}000`)).toMatch(/^has length 35;/);
  });

  it("rejects table number 0, truncated and over-long table numbers", () => {
    const internal = [...STABILITY_INTERNAL_ID];
    expect(explainInvalidConvexId(base32(withFooter([0, ...internal])))).toBe(
      "does not start with a valid table number",
    );
    // Continuation bits all the way through: the VInt never ends.
    expect(isConvexId(base32(withFooter([0xff, 0xff, 0xff, 0xff, 0xff, ...internal.slice(0, 14)])))).toBe(false);
    // Table 5 written in two bytes [0x85, 0x00]: decodes in Rust, but no deployment writes it.
    expect(explainInvalidConvexId(base32(withFooter([0x85, 0x00, ...internal])))).toBe("is not in canonical form");
    // convex-backend regression input: looks like a 1-byte table, is a 2-byte one.
    expect(isConvexId("sssswsgggggggggsgcsssfafffsffks")).toBe(false);
  });

  it("rejects non-strings without throwing", () => {
    for (const value of [undefined, null, 42, {}, [], Symbol("x"), 10n, () => STABILITY_FIXTURE]) {
      expect(isConvexId(value)).toBe(false);
      expect(explainInvalidConvexId(value)).toBe("is not a string");
    }
  });

  it("rejects a 10 MB string on its length alone and does not echo it", () => {
    // Speed is a benchmark matter; here the reason proves the length check comes first.
    const huge = `${STABILITY_FIXTURE}${"a".repeat(10 * 1024 * 1024)}`;
    expect(isConvexId(huge)).toBe(false);
    expect(explainInvalidConvexId(huge)).toBe(`has length ${huge.length}; Convex IDs are 31-37 characters`);
  });

  it("never echoes the input in a reason, and never throws", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 60 }), (s) => {
        const reason = explainInvalidConvexId(s);
        expect(isConvexId(s)).toBe(reason === undefined);
        // Every reason is one of a fixed set of sentences (numbers aside), so none can carry input.
        if (reason !== undefined) expect(reason).toMatch(KNOWN_REASONS);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-hjkmnp-tv-z]{31,37}$/), (s) => {
        const reason = explainInvalidConvexId(s);
        expect(isConvexId(s)).toBe(reason === undefined);
        if (reason !== undefined) expect(reason).toMatch(KNOWN_REASONS);
      }),
      { numRuns: 2000 },
    );
    const hostile = `IGNOREPREVIOUS${"x".repeat(19)}`; // 33 chars, wrong alphabet
    expect(explainInvalidConvexId(hostile)).not.toMatch(/IGNORE/);
  });
});

describe("the decode cache", () => {
  it("gives the same verdict every time, and never hands out its internal ID to be changed", () => {
    const id = DEMO_MEETINGS.healthy.id;
    const first = decodeConvexId(id);
    expect(first).toBeDefined();
    first?.internalId.fill(0);
    expect(decodeConvexId(id)?.internalId).not.toEqual(first?.internalId);
    expect(isConvexId(id)).toBe(true);
    const broken = `${id.slice(0, -1)}${id.endsWith("a") ? "b" : "a"}`;
    const reason = explainInvalidConvexId(broken);
    expect(reason).toBeDefined();
    expect(explainInvalidConvexId(broken)).toBe(reason);
    // Past the cache's size, old entries are decoded again with the same result.
    for (let i = 0; i < 600; i++) isConvexId(deterministicConvexId(10, `cache-${i}`));
    expect(isConvexId(id)).toBe(true);
    expect(explainInvalidConvexId(broken)).toBe(reason);
  });
});
