/**
 * Demo stand-ins for Connvo's people reads: the signed-in user's document
 * (convex/users/queries.ts getCurrentUser) and a person's public profile
 * (convex/profiles/queries.ts getProfileByUserIdPublic), answering from the demo world.
 */
import { profileIdFor } from "../world/people.js";
import { defineDemoFunction, requireUser } from "./context.js";

const DAY = 24 * 60 * 60_000;

export const getCurrentUser = defineDemoFunction({
  path: "users/queries:getCurrentUser",
  kind: "query",
  source: "../convex/users/queries.ts:118:4",
  run(_args, call) {
    // Connvo answers null, not UNAUTHORIZED, without a signed-in user (safe for logged-out
    // subscriptions), and null when the identity has no user document yet.
    const user = call.caller;
    if (!user) return null;
    const createdAt = call.world.builtAt - 400 * DAY;
    return {
      _creationTime: createdAt + 0.5,
      _id: user.id,
      workosUserId: user.key,
      email: user.email,
      ...(user.orgId !== undefined ? { orgId: user.orgId } : {}),
      ...(user.orgRole !== undefined ? { orgRole: user.orgRole } : {}),
      ...(user.displayName !== undefined ? { displayName: user.displayName } : {}),
      ...(user.avatarUrl !== undefined ? { avatarUrl: user.avatarUrl } : {}),
      isActive: true,
      lastSeenAt: call.now,
      onboardingComplete: true,
      createdAt,
      updatedAt: call.world.builtAt - 2 * DAY,
    };
  },
});

export const getProfileByUserIdPublic = defineDemoFunction({
  path: "profiles/queries:getProfileByUserIdPublic",
  kind: "query",
  source: "../convex/profiles/queries.ts:231:23",
  run({ userId }, call) {
    requireUser(call, this.source);
    // Any signed-in user may read anyone's public profile; null when there is none. Never the
    // user document's email, and none of the profile's private fields (age, gender, linkedinUrl).
    const person = call.world.people.get(userId);
    const profile = person?.profile;
    if (!person || !profile) return null;
    return {
      _id: profileIdFor(person.key),
      userId: person.id,
      displayName: person.displayName ?? "",
      ...(profile.bio !== undefined ? { bio: profile.bio } : {}),
      ...(profile.goals !== undefined ? { goals: profile.goals } : {}),
      languages: profile.languages,
      ...(profile.experience !== undefined ? { experience: profile.experience } : {}),
      ...(profile.field !== undefined ? { field: profile.field } : {}),
      ...(profile.jobTitle !== undefined ? { jobTitle: profile.jobTitle } : {}),
      ...(profile.company !== undefined ? { company: profile.company } : {}),
    };
  },
});
