/**
 * get_person: who the signed-in user is (without userId), or another person's public profile
 * (with it). Never another person's email address: Connvo's public profile has none, fields are
 * copied one by one (an extra field the backend adds is never passed on), and anything shaped like
 * an email address in another person's profile text is hidden.
 */
import { z } from "zod";
import { ToolFailure } from "../core/failures.js";
import { iso, isoTimeSchema, personName, plural } from "../present/fields.js";
import { clip, DEFAULT_DATA_BYTES, fitToBudget } from "../present/size.js";
import { defineTool } from "./define.js";

const ME = "users/queries:getCurrentUser";
const PROFILE = "profiles/queries:getProfileByUserIdPublic";
const MAX_LANGUAGES = 8;

export interface UserDoc {
  _id: string;
  email: string;
  displayName?: string;
  orgId?: string;
  orgRole?: string;
}

export interface ProfileDoc {
  _id: string;
  userId: string;
  displayName: string;
  bio?: string;
  goals?: string;
  languages: string[];
  experience?: string;
  field?: string;
  jobTitle?: string;
  company?: string;
}

interface Input {
  userId?: string;
}

export type LoadedPerson =
  | { kind: "self"; user: UserDoc; profile: ProfileDoc | null }
  | { kind: "other"; userId: string; profile: ProfileDoc | null };

const TEXT_FIELDS = ["jobTitle", "company", "field", "experience", "bio", "goals"] as const;
type TextField = (typeof TEXT_FIELDS)[number];

const personSchema = z.object({
  userId: z.string(),
  name: z.string(),
  jobTitle: z.string().optional(),
  company: z.string().optional(),
  field: z.string().optional(),
  experience: z.string().optional(),
  bio: z.string().optional(),
  goals: z.string().optional(),
  languages: z.array(z.string()).optional(),
  /** Only for the signed-in user: their own address. */
  email: z.string().optional(),
  /** Only for the signed-in user. */
  org: z.object({ orgId: z.string().optional(), role: z.string().optional() }).optional(),
});

const outputSchema = z.object({
  asOf: isoTimeSchema,
  /** Asked without userId: the signed-in user (with userId it is false, even for their own ID). */
  you: z.boolean(),
  /** Connvo has a public profile for this person. */
  hasProfile: z.boolean(),
  person: personSchema,
  /** Profile fields shortened to keep the answer small. */
  shortened: z.array(z.enum(TEXT_FIELDS)).optional(),
});

export type PersonData = z.infer<typeof outputSchema>;

/** Anything shaped like an email address (local@domain.tld). */
const EMAIL = /[^\s@<>()[\]{}"',;:]+@(?:[\p{L}\p{N}_-]+\.)+[\p{L}\p{N}-]{2,}/gu;
export const hideEmails = (text: string) => text.replace(EMAIL, "[email hidden]");

/** Per field: most characters and, at full size, most UTF-8 bytes. */
const CAPS: Record<TextField, { chars: number; bytes: number; kind: "prose" | "label" }> = {
  jobTitle: { chars: 120, bytes: 240, kind: "label" },
  company: { chars: 120, bytes: 240, kind: "label" },
  field: { chars: 120, bytes: 240, kind: "label" },
  experience: { chars: 200, bytes: 400, kind: "label" },
  bio: { chars: 1_000, bytes: 2_000, kind: "prose" },
  goals: { chars: 400, bytes: 800, kind: "prose" },
};

export function shapePerson(loaded: LoadedPerson, now: number): PersonData {
  const you = loaded.kind === "self";
  const profile = loaded.profile;
  const userId = loaded.kind === "self" ? clip(loaded.user._id, 64, 64).text : loaded.userId;
  // Others' text never carries an email address, even one they typed into their own bio.
  const safe = (text: string) => (you ? text : hideEmails(text));
  const displayName = you ? (loaded.user.displayName ?? profile?.displayName) : profile?.displayName;
  const name = safe(personName(displayName, userId));
  const languages = (profile?.languages ?? [])
    .slice(0, MAX_LANGUAGES)
    .map((l) => safe(clip(l, 32, 64).text))
    .filter(Boolean);
  // One knob for the size: a percentage of each text field's byte cap.
  const make = (percent: number): PersonData => {
    const shortened: TextField[] = [];
    const fields: Partial<Record<TextField, string>> = {};
    for (const key of TEXT_FIELDS) {
      const raw = profile?.[key];
      if (raw === undefined) continue;
      const cap = CAPS[key];
      const { text, cut } = clip(raw, cap.chars, Math.floor((cap.bytes * percent) / 100), cap.kind);
      if (cut) shortened.push(key);
      if (text) fields[key] = safe(text);
    }
    const self =
      loaded.kind === "self"
        ? {
            email: clip(loaded.user.email, 200, 200).text,
            ...(loaded.user.orgId !== undefined || loaded.user.orgRole !== undefined
              ? {
                  org: {
                    ...(loaded.user.orgId !== undefined ? { orgId: clip(loaded.user.orgId, 64, 128).text } : {}),
                    ...(loaded.user.orgRole !== undefined ? { role: clip(loaded.user.orgRole, 40, 80).text } : {}),
                  },
                }
              : {}),
          }
        : {};
    return {
      asOf: iso(now),
      you,
      hasProfile: profile !== null,
      person: {
        userId,
        name,
        ...fields,
        ...(languages.length > 0 ? { languages } : {}),
        ...self,
      },
      ...(shortened.length > 0 ? { shortened } : {}),
    };
  };
  return fitToBudget(100, make, DEFAULT_DATA_BYTES);
}

export function personLead(data: PersonData, input: Input): string[] {
  const lead: string[] = [];
  if (data.you) {
    lead.push(
      `This is the signed-in Connvo user (as of ${data.asOf}): name, organisation and role${data.hasProfile ? ", and their public profile" : "; they have no public profile yet"}.`,
    );
  } else if (data.hasProfile) {
    lead.push(
      `Public profile of user ${input.userId} as of ${data.asOf}. Other people's email addresses are never shown.`,
    );
  } else {
    lead.push(
      `Connvo has no public profile for user ${input.userId} (as of ${data.asOf}): they have not filled one in, or no user has this ID on this deployment.`,
    );
  }
  if (data.shortened)
    lead.push(`${plural(data.shortened.length, "profile field")} shortened to keep the answer small.`);
  return lead;
}

export const getPerson = defineTool({
  name: "get_person",
  title: "Who someone is on Connvo",
  toolset: "people",
  description: [
    "Who a person is on Connvo: without userId, the signed-in user (name, organisation, role, own email, and their profile); with userId, that person's public profile (name, job title, company, field, experience, bio, goals, languages).",
    "Use it when asked who the user is signed in as, or to brief the user on someone in a meeting (get_meeting lists the people and their userIds).",
    "Returns the person, whether they have a public profile, and which fields were shortened.",
    `Limits: one person per call; a bio is cut at ${CAPS.bio.chars} characters and at most ${MAX_LANGUAGES} languages are listed; other people's email addresses are never returned.`,
    "Read-only.",
  ].join(" "),
  operations: [ME, PROFILE],
  args: { from: PROFILE, optional: ["userId"] },
  output: outputSchema,
  annotations: {
    title: "Who someone is on Connvo",
    readOnlyHint: true,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: true,
  },
  async load(input: Input, backend): Promise<LoadedPerson> {
    if (input.userId !== undefined) {
      const profile = (await backend.call(PROFILE, { userId: input.userId })) as ProfileDoc | null;
      return { kind: "other", userId: input.userId, profile };
    }
    // Connvo answers null instead of UNAUTHORIZED when no user is signed in (or not provisioned).
    const user = (await backend.call(ME, {})) as UserDoc | null;
    if (user === null) throw new ToolFailure({ kind: "unauthorized" });
    const profile = (await backend.call(
      PROFILE,
      { userId: user._id },
      { resource: { table: "users", id: user._id } },
    )) as ProfileDoc | null;
    return { kind: "self", user, profile };
  },
  shape(loaded, input, view) {
    const data = shapePerson(loaded, view.now);
    return { lead: [...personLead(data, input), ...view.notes], data };
  },
});
