import type { RequestIdVariables } from "hono/request-id";
import type { Caller } from "../domain/caller";
import type { CredentialLimits } from "./auth/credential-limits-port";

/** The Hono env of every app, middleware and route here. */
export type AppEnv = {
  Variables: RequestIdVariables & {
    /** Set by the bearer auth middleware: a verified token's actor, or an integration key to look up. */
    actor: Caller;
    /** For the request log: the lead the request is about, once the body is valid. */
    leadId: string;
    /** Set by the app: what the auth and rate-limit middleware know beyond one credential. */
    credentialLimits: CredentialLimits;
    /** For the request log: `converted`, `replayed`, or the problem code. */
    outcome: string;
  };
};
