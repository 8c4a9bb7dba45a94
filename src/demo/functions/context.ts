/**
 * What a demo function is and what it may use. A function is `{ path, kind, run }`: the path and
 * kind of the Connvo function it stands in for (its args are validated against the OpenAPI args
 * schema before `run` is called, and a call on the wrong endpoint is refused as Convex does), and
 * `run(args, call)` returns the value or throws a `DemoFunctionError`, Connvo-style.
 */
import type { FunctionKind, OperationPath } from "../../openapi/registry.js";
import { CONNVO_ERRORS, convexErrorMessage, FRAMES, serverError } from "../wire.js";
import { type DemoWorld, participantOf, type WorldMeeting } from "../world/index.js";
import type { DemoPerson } from "../world/people.js";

export interface DemoCall {
  world: DemoWorld;
  /** The signed-in user, or undefined for a call without a token. */
  caller: DemoPerson | undefined;
  now: number;
  /** How a well-formed meeting ID that is not in the world fails (see DemoDeploymentOptions). */
  unknownMeeting: "forbidden" | "notFound";
}

/** A failure the function throws: ConvexError data (errorData) or a plain server error. */
export class DemoFunctionError extends Error {
  constructor(
    readonly errorMessage: string,
    readonly errorData?: Record<string, unknown>,
  ) {
    super(errorMessage);
    this.name = "DemoFunctionError";
  }
}

// biome-ignore lint/suspicious/noExplicitAny: args were validated against the function's OpenAPI schema.
type Args = Record<string, any>;

export interface DemoFunction {
  path: OperationPath;
  kind: FunctionKind;
  /** Where the real handler lives, for the stack frame in ConvexError messages. */
  source: string;
  run(args: Args, call: DemoCall): unknown;
}

export const defineDemoFunction = (fn: DemoFunction): DemoFunction => fn;

/** A ConvexError thrown by Connvo's code (`createError.*` in convex/lib/errors.ts). */
export function convexError(data: Record<string, unknown>, source: string, frames: string[] = FRAMES.handler): never {
  throw new DemoFunctionError(convexErrorMessage(data, frames, source), data);
}

/** A plain error thrown inside a function (not a ConvexError): the message only. */
export function serverFailure(text: string): never {
  throw new DemoFunctionError(serverError(text));
}

/** `requireIdentity`: every Connvo function answers UNAUTHORIZED without a signed-in user. */
export function requireUser(call: DemoCall, source: string): DemoPerson {
  if (!call.caller) convexError(CONNVO_ERRORS.unauthorized(), source, FRAMES.unauthorized);
  return call.caller;
}

/**
 * `assertMeetingAccess` (convex/auth/guards.ts): the caller must be a participant. Connvo checks
 * participation before existence, so with `unknownMeeting: "forbidden"` an unknown ID also
 * answers FORBIDDEN, exactly as the real backend does.
 */
export function assertMeetingAccess(call: DemoCall, meetingId: string, source: string) {
  const user = requireUser(call, source);
  const meeting = call.world.meetings.get(meetingId);
  if (!meeting && call.unknownMeeting === "notFound") convexError(CONNVO_ERRORS.meetingNotFound(meetingId), source);
  const participant = meeting ? participantOf(meeting, user.id) : undefined;
  if (!meeting || !participant) convexError(CONNVO_ERRORS.forbidden(meetingId, user.id), source, FRAMES.forbidden);
  return { user, meeting: meeting as WorldMeeting, participant };
}
