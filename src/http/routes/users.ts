import { Hono } from "hono/tiny";
import { type ClientReader, readClient } from "../../domain/read-client";
import { USERS_READ_SCOPE } from "../../domain/scopes";
import {
  bearerAuth,
  INVALID_KEY_DESCRIPTION,
  insufficientScopeError,
  invalidToken,
  type RateLimiter,
  rateLimit,
  type TokenVerifier,
} from "../auth";
import { toUserBody } from "../bodies";
import { NO_SUCH_USER } from "../details";
import type { RouteContract } from "../openapi/contract";
import { EXAMPLE_USER } from "../openapi/examples";
import { problem, ref } from "../openapi/parts";
import { jsonResponse, pathParameter, problemResponse, readResponses } from "../openapi/responses";
import { pathId } from "../path-id";
import { ApiError } from "../problem";
import type { AppEnv } from "../types";

export const USER_PATH = "/users/:user_id";

export interface UsersRouteDeps {
  reader: ClientReader;
  verifyToken: TokenVerifier;
  /** The other-requests budget of each credential. */
  requests: RateLimiter;
}

const notFound = () => new ApiError("user_not_found", NO_SUCH_USER);

/**
 * `GET /users/{user_id}`: a client of the token's entity, as the 18-key body.
 * Another entity's client is answered exactly like a missing one.
 */
export function usersRoute({ reader, verifyToken, requests }: UsersRouteDeps) {
  return new Hono<AppEnv>().get(USER_PATH, bearerAuth({ verifyToken }), rateLimit(requests), async (c) => {
    const actor = c.get("actor");
    const clientId = pathId(c.req.param("user_id"));
    // A token's answer to an id that is not a UUID needs no database; a key's state is known only from its read.
    const outcome =
      clientId === null && actor.kind !== "key"
        ? { kind: "user_not_found" as const }
        : await readClient({ ctx: { actor, reader }, input: { clientId: clientId ?? c.req.param("user_id") } });
    switch (outcome.kind) {
      case "found":
        c.set("outcome", "found");
        return c.json(toUserBody(outcome.client), 200);
      case "unauthorized":
        throw invalidToken(INVALID_KEY_DESCRIPTION);
      case "insufficient_scope":
        throw insufficientScopeError(USERS_READ_SCOPE);
      default:
        throw notFound();
    }
  });
}

/** `GET /users/{user_id}`, as /openapi.json documents it. */
export const usersContract = (): RouteContract => ({
  tag: "Clients",
  paths: {
    "/users/{user_id}": {
      get: {
        operationId: "getUser",
        summary: "Read a client of the token's financial entity",
        description:
          "One database request. Another entity's client is answered exactly like a missing one: `404 user_not_found`.",
        security: [{ bearerAuth: [USERS_READ_SCOPE] }],
        parameters: [pathParameter("user_id", "The client's `_id`, in any letter case.")],
        responses: {
          200: jsonResponse("The client: the same 18 keys the conversion answers with.", ref("User"), {
            example: EXAMPLE_USER,
          }),
          404: problemResponse(
            "`user_not_found`: no such client, a client of another financial entity (indistinguishable), or an id that is not a UUID.",
            [problem("user_not_found", NO_SUCH_USER)],
          ),
          ...readResponses(USERS_READ_SCOPE, "GET, HEAD"),
        },
      },
    },
  },
});
