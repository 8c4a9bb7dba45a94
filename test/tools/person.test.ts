/**
 * get_person's pure parts with hand-made data: the signed-in user (their own email and org, and
 * only theirs), another person's public profile, no profile, hostile text, emails hidden in
 * others' text, sizes in o200k tokens; and the userId argument (Connvo's, made optional).
 */
import { describe, expect, it } from "vitest";
import {
  getPerson,
  hideEmails,
  type LoadedPerson,
  type PersonData,
  type ProfileDoc,
  type UserDoc,
} from "../../src/tools/getPerson.js";
import { expectNoHiddenOrBreaks, expectThreeLines, expensiveText, HOSTILE, render } from "./shapeHelpers.js";

const ME = "j976h5485rrtprabc2fgzqennys97kpj";
const OTHER = "j97asmj3jedwpcjfztw3wkcj42k05dhw";

const user: UserDoc = {
  _id: ME,
  email: "alex.morgan@example.com",
  displayName: "Alex Morgan",
  orgId: "org_connvo_demo",
  orgRole: "admin",
};
const profile = (over: Partial<ProfileDoc> = {}): ProfileDoc => ({
  _id: "jh7profile000000000000000000000",
  userId: OTHER,
  displayName: "Priya Raman",
  jobTitle: "Staff Engineer",
  company: "Connvo Demo Co",
  bio: "Owns the media pipeline.",
  goals: "Cut join time below two seconds.",
  languages: ["en", "ta"],
  ...over,
});

const person = (loaded: LoadedPerson, args: Record<string, unknown> = {}) => {
  const out = render(getPerson, loaded, args);
  return { ...out, d: out.data as PersonData };
};

describe("get_person shape", () => {
  it("the signed-in user: name, org, role, own email, profile fields", () => {
    const { d, lead } = person({ kind: "self", user, profile: profile({ userId: ME }) });
    expect(d.you).toBe(true);
    expect(d.person).toMatchObject({
      userId: ME,
      name: "Alex Morgan",
      email: "alex.morgan@example.com",
      org: { orgId: "org_connvo_demo", role: "admin" },
      jobTitle: "Staff Engineer",
    });
    expect(lead).toMatch(/^This is the signed-in Connvo user/);
  });

  it("the signed-in user without a profile, and without a display name", () => {
    const { d, lead } = person({ kind: "self", user: { _id: ME, email: "a@example.com" }, profile: null });
    expect(d).toMatchObject({ you: true, hasProfile: false });
    expect(d.person.name).toBe("user …s97kpj");
    expect(d.person.org).toBeUndefined();
    expect(lead).toMatch(/they have no public profile yet/);
  });

  it("another person's public profile never carries an email address, even one the backend adds or they typed", () => {
    const loaded: LoadedPerson = {
      kind: "other",
      userId: OTHER,
      profile: {
        ...profile({
          displayName: "priya@example.com",
          bio: "Write to me at priya.raman+work@example.co.uk or PRIYA@EXAMPLE.COM.",
          company: "mail: ops@acme.example",
        }),
        email: "priya@example.com",
      } as ProfileDoc,
    };
    const { d, text, lead } = person(loaded, { userId: OTHER });
    expect(d.you).toBe(false);
    expect(d.person.email).toBeUndefined();
    expect(d.person.org).toBeUndefined();
    expect(text).not.toMatch(/@/);
    expect(d.person.bio).toBe("Write to me at [email hidden] or [email hidden].");
    expect(d.person.name).toBe("[email hidden]");
    expect(lead).toMatch(/Public profile of user j97asmj3.*Other people's email addresses are never shown/);
  });

  it("no profile for another user: a successful answer that says so", () => {
    const { d, lead, result } = person({ kind: "other", userId: OTHER, profile: null }, { userId: OTHER });
    expect(result.isError).toBeUndefined();
    expect(d).toMatchObject({ you: false, hasProfile: false, person: { userId: OTHER, name: "user …k05dhw" } });
    expect(lead).toMatch(/Connvo has no public profile for user j97asmj3jedwpcjfztw3wkcj42k05dhw/);
  });

  it("hideEmails leaves text without addresses alone", () => {
    expect(hideEmails("Meet at 10 @ the office, see example.com")).toBe("Meet at 10 @ the office, see example.com");
    expect(hideEmails("a@b.io")).toBe("[email hidden]");
  });

  it("hostile text stays data", () => {
    const loaded: LoadedPerson = {
      kind: "other",
      userId: OTHER,
      profile: profile({
        displayName: HOSTILE,
        bio: HOSTILE,
        goals: HOSTILE,
        jobTitle: HOSTILE,
        languages: [HOSTILE],
      }),
    };
    const { d, text, lead } = person(loaded, { userId: OTHER });
    expectThreeLines(text);
    expectNoHiddenOrBreaks(d);
    expect(lead).not.toMatch(/SYSTEM|ignore/i);
  });

  it("huge, token-expensive profile fields are shortened and counted; the answer stays under 4,000 tokens", () => {
    for (const kind of ["bmp", "ascii"] as const) {
      const big = (seed: number) => expensiveText(50_000, seed, kind);
      const loaded: LoadedPerson = {
        kind: "self",
        user: { ...user, displayName: big(1), email: big(2), orgId: big(3), orgRole: big(4) },
        profile: profile({
          bio: big(5),
          goals: big(6),
          experience: big(7),
          field: big(8),
          jobTitle: big(9),
          company: big(10),
          languages: Array.from({ length: 500 }, (_, i) => expensiveText(100, i, kind)),
        }),
      };
      const { d, tokens, lead } = person(loaded);
      expect(tokens, kind).toBeLessThan(4_000);
      expect(d.shortened).toEqual(expect.arrayContaining(["bio", "goals"]));
      expect(d.person.languages).toHaveLength(8);
      expect(lead).toMatch(/profile fields? shortened/);
    }
  });
});

describe("get_person input", () => {
  it("userId is Connvo's users ID argument, optional here", () => {
    expect(getPerson.idArgs).toEqual({ userId: "users" });
    expect(getPerson.inputSchema.parse({})).toEqual({});
    expect(getPerson.inputSchema.parse({ userId: OTHER })).toEqual({ userId: OTHER });
    expect(() => getPerson.inputSchema.parse({ userId: 42 })).toThrow();
  });
});
