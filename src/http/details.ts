// Every problem detail that more than one place states — the code that
// answers with it, and the OpenAPI examples and descriptions that show it —
// written once. (Titles are written once too, in PROBLEMS: problem.ts.)

/** An error nobody planned for: the only thing said about it. */
export const INTERNAL_ERROR = "An unexpected error occurred.";
/** The database did not answer in time, or at all; nothing was done. */
export const DATABASE_UNAVAILABLE = "The database is unavailable right now; retrying is safe.";
/** No credential at all, or not a bearer one. */
export const MISSING_CREDENTIALS = "A bearer token is required in the Authorization header.";
/** Unknown, revoked and expired integration keys, and malformed ones: one answer. */
export const INVALID_KEY = "The integration key is not valid.";
/** A token past its `exp` (plus the clock skew). */
export const TOKEN_EXPIRED = "The token has expired.";
/** The token or key lacks `scope`. */
export const missingScope = (scope: string) => `The token's scope does not include "${scope}".`;
/** A body that does not match the operation's schema (the issues travel in `errors`). */
export const INVALID_BODY = "The request body is not valid.";
/** A body that is not JSON. */
export const MALFORMED_BODY = "The request body is not valid JSON.";
/** A query string that does not match the operation's schema. */
export const INVALID_QUERY = "The query is not valid.";
/** A body of none of the media types an operation takes. */
export const mustBeOfType = (mediaTypes: readonly string[]) => `The request body must be ${mediaTypes.join(" or ")}.`;
/** A body that is not `application/json`. */
export const NOT_JSON = mustBeOfType(["application/json"]);
/** A body over the operation's limit. */
export const tooLarge = (maxBytes: number) => `The request body must not exceed ${maxBytes} bytes.`;
/** A credential over one of its budgets. */
export const overBudget = (limit: number, budget: string) =>
  `This credential is over its budget of ${limit} ${budget} per minute.`;
/** The entity a request names, or a key's own, does not exist. */
export const NO_SUCH_ENTITY = "No financial entity exists with this id.";
/** A lead the entity may not see is reported exactly like a missing one. */
export const NO_VISIBLE_LEAD = "No lead with this id is visible to the financial entity.";
/** Another entity's client is reported exactly like a missing one. */
export const NO_SUCH_USER = "No user with this id exists for the financial entity.";
/** No integration key of the entity has the id. */
export const NO_SUCH_API_KEY = "No integration key with this id exists for this financial entity.";
/** Keys cannot create, list or revoke keys, not even themselves. */
export const KEYS_CANNOT_MANAGE_KEYS = "Integration keys cannot manage keys; use a token.";
/** No endpoint of the entity has the id. */
export const NO_SUCH_ENDPOINT = "No webhook endpoint with this id exists for the financial entity.";
/** No event of the entity has the id. */
export const NO_SUCH_EVENT = "No event with this id exists for the financial entity.";
/** A deployment built without the document. */
export const NO_DOCUMENT = "This deployment has no OpenAPI document.";
