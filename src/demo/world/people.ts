/**
 * The demo world's people: the signed-in demo user (Alex Morgan) and colleagues, with user
 * documents and public profiles. IDs come from the same seeds the session fixtures use, so a
 * person in a meeting's roster is the same user in its sessions.
 */
import { deterministicConvexId } from "../../convex/ids.js";
import { ME, P, type Person, TABLE_NUMBERS, userIdFor } from "../seed.js";

export interface DemoProfile {
  jobTitle?: string;
  company?: string;
  bio?: string;
  goals?: string;
  field?: string;
  experience?: string;
  languages: string[];
}

export interface DemoPerson {
  key: string;
  id: string;
  displayName?: string;
  email: string;
  orgId?: string;
  orgRole?: string;
  avatarUrl?: string;
  profile?: DemoProfile;
}

const ORG = "org_connvo_demo";
const ACME = "org_acme";

function make(
  person: Person,
  extra: Omit<DemoPerson, "key" | "id" | "displayName" | "email"> & { email?: string },
): DemoPerson {
  const id = userIdFor(person.key);
  return {
    key: person.key,
    id,
    displayName: person.displayName,
    email: extra.email ?? `${person.key.replace(/[^a-z0-9]+/g, ".")}@example.com`,
    ...(person.avatar === false ? {} : { avatarUrl: `https://avatars.connvo.app/u/${id}/${person.key}.png` }),
    ...extra,
  };
}

export const PEOPLE = {
  alex: make(ME, {
    email: "alex.morgan@example.com",
    orgId: ORG,
    orgRole: "admin",
    profile: {
      jobTitle: "Head of Product",
      company: "Connvo Demo Co",
      bio: "Runs product for the meetings platform. Likes short agendas and written decisions.",
      goals: "Ship the mobile onboarding redesign this quarter.",
      field: "Product management",
      experience: "12 years",
      languages: ["en", "es"],
    },
  }),
  priya: make(P.priya, {
    orgId: ORG,
    orgRole: "member",
    profile: {
      jobTitle: "Staff Engineer",
      company: "Connvo Demo Co",
      bio: "Owns the real-time media pipeline. Previously built video infrastructure at a streaming startup.",
      goals: "Cut join time below two seconds.",
      field: "Software engineering",
      experience: "10 years",
      languages: ["en", "ta"],
    },
  }),
  marcus: make(P.marcus, {
    orgId: ORG,
    orgRole: "member",
    profile: {
      jobTitle: "Engineering Manager",
      company: "Connvo Demo Co",
      bio: "Leads the platform team.",
      goals: "Hire two backend engineers.",
      field: "Engineering management",
      languages: ["en", "zh"],
    },
  }),
  sofia: make(P.sofia, {
    orgId: ORG,
    orgRole: "member",
    profile: {
      jobTitle: "Product Designer",
      company: "Connvo Demo Co",
      bio: "Designs the in-call experience.",
      goals: "Run five usability sessions on the new onboarding.",
      field: "Design",
      languages: ["es", "en"],
    },
  }),
  grace: make(P.grace, {
    orgId: ORG,
    orgRole: "member",
    profile: {
      jobTitle: "Design Lead",
      company: "Connvo Demo Co",
      bio: "Leads design critiques every week.",
      field: "Design",
      languages: ["en"],
    },
  }),
  mateo: make(P.mateo, {
    orgId: ORG,
    orgRole: "member",
    profile: { jobTitle: "iOS Engineer", company: "Connvo Demo Co", field: "Mobile", languages: ["it", "en"] },
  }),
  yuki: make(P.yuki, {
    orgId: ORG,
    orgRole: "member",
    profile: { jobTitle: "UX Researcher", company: "Connvo Demo Co", field: "Research", languages: ["ja", "en"] },
  }),
  tunde: make(P.tunde, {
    email: "tunde@acme.example",
    orgId: ACME,
    orgRole: "member",
    profile: {
      jobTitle: "VP Operations",
      company: "Acme Corp",
      bio: "Runs operations at Acme; the economic buyer for the renewal.",
      goals: "Roll Connvo out to the support team.",
      field: "Operations",
      languages: ["en", "yo"],
    },
  }),
  lena: make(P.lena, {
    orgId: ORG,
    orgRole: "member",
    profile: { jobTitle: "Account Executive", company: "Connvo Demo Co", field: "Sales", languages: ["de", "en"] },
  }),
  omar: make(P.omar, {
    orgId: ORG,
    orgRole: "member",
    profile: { jobTitle: "CTO", company: "Connvo Demo Co", field: "Engineering", languages: ["ar", "en", "fr"] },
  }),
  aisha: make(P.aisha, {
    orgId: ORG,
    orgRole: "member",
    profile: { jobTitle: "QA Engineer", company: "Connvo Demo Co", languages: ["en"] },
  }),
  mei: make(P.mei, {
    orgId: ORG,
    orgRole: "member",
    profile: { jobTitle: "Data Scientist", company: "Connvo Demo Co", languages: ["en", "zh"] },
  }),
  david: make(P.david, { orgId: ORG, orgRole: "member", profile: { jobTitle: "SRE", languages: ["pl", "en"] } }),
  jonas: make(P.jonas, {
    orgId: ORG,
    orgRole: "member",
    profile: { jobTitle: "Backend Engineer", company: "Connvo Demo Co", languages: ["sv", "en"] },
  }),
  noor: make(P.noor, { orgId: ORG, orgRole: "member" }),
} satisfies Record<string, DemoPerson>;

export type PersonName = keyof typeof PEOPLE;

/** The profile document's ID for a person (profiles table). */
export const profileIdFor = (key: string) => deterministicConvexId(TABLE_NUMBERS.profiles, `profile:${key}`);

/** A user that is in a session fixture but not one of the named people (generated attendees). */
export function genericPerson(key: string, displayName?: string): DemoPerson {
  return make({ key, displayName }, { email: `${key.slice(0, 40)}@example.com` });
}
