import type { RequestIdVariables } from "hono/request-id";
import type { Actor } from "../domain/conversion";

/** The Hono env of every app, middleware and route here. */
export type AppEnv = {
  Variables: RequestIdVariables & {
    /** Set by the bearer auth middleware once the token is verified. */
    actor: Actor;
  };
};
