import type { RequestIdVariables } from "hono/request-id";
import type { Actor } from "../domain/conversion";

/** The Hono env of every app, middleware and route here. */
export type AppEnv = {
  Variables: RequestIdVariables & {
    /** Set by the bearer auth middleware once the token is verified. */
    actor: Actor;
    /** For the request log: the lead the request is about, once the body is valid. */
    leadId: string;
    /** For the request log: `converted`, `replayed`, or the problem code. */
    outcome: string;
  };
};
