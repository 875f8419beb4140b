import type { ConversionRefusal } from "../../domain/conversion";
import { CONVERT_SCOPE } from "../../domain/scopes";
import { DEFAULT_RATE_LIMITS, insufficientScopeError } from "../auth";
import { DEFAULT_AUTH_FAILURES_PER_MINUTE, ENTITY_BUDGET_FACTOR } from "../auth/credential-limits";
import {
  DATABASE_UNAVAILABLE,
  INTERNAL_ERROR,
  INVALID_BODY,
  NOT_JSON,
  overBudget,
  TOKEN_EXPIRED,
  tooLarge,
} from "../details";
import { PROBLEMS, type ProblemCode } from "../problem";
import { refusalError } from "../refusals";
import { EXAMPLE_EXISTING_CLIENT } from "./examples";
import { describeCodes, example, header, type ProblemExample, problem, problemContent, ref } from "./parts";

// The responses many operations share, so that each route's contract lists
// only what is its own. Every function returns a fresh object.

/** The two headers every response of the API carries; it is never cached (bodies carry personal data). */
export const commonHeaders = () => ({
  "X-Request-Id": header("XRequestId"),
  "Cache-Control": header("CacheControlNoStore"),
});

/** A `Cache-Control` header of a response that sets its own policy. */
export const cacheControl = (value: string) => ({
  description: "How long this may be cached.",
  required: true,
  schema: { type: "string", const: value },
});

/**
 * A JSON success response.
 *
 * @example
 * 200: jsonResponse("The client.", ref("User"), { example: EXAMPLE_USER })
 */
export const jsonResponse = (
  description: string,
  schema: object,
  { example, headers = commonHeaders() }: { example?: unknown; headers?: object } = {},
) => ({
  description,
  headers,
  content: { "application/json": example === undefined ? { schema } : { schema, example } },
});

/** A JSON request body, with its example. */
export const jsonBody = (schema: string, example: object, required = true) => ({
  required,
  content: { "application/json": { schema: ref(schema), example } },
});

/** An error response: the Problem schema, its examples by code, and the headers every response carries. */
export function problemResponse(
  description: string,
  examples: ProblemExample[],
  headers: Record<string, unknown> = {},
) {
  return { description, headers: { ...commonHeaders(), ...headers }, content: problemContent(examples) };
}

/** A UUID path parameter. */
export const pathParameter = (name: string, description: string) => ({
  name,
  in: "path",
  required: true,
  description,
  schema: { type: "string", format: "uuid" },
});

/** 400 of a body the validator refused, with one of its `errors`. */
export const validationErrorResponse = (description: string, path: string, message: string) =>
  problemResponse(description, [
    problem("validation_error", INVALID_BODY, { extensions: { errors: [{ path, message }] } }),
  ]);

/** 401, the same on every token route: one answer for every kind of bad credential. */
export const unauthorizedResponse = () =>
  problemResponse(
    "No token, a malformed Authorization header, a bad signature, an expired or not-yet-valid token, a wrong issuer or audience, or an integration key that is malformed, unknown, revoked or expired (one answer for all four).",
    [problem("unauthorized", TOKEN_EXPIRED)],
    { "WWW-Authenticate": header("WWWAuthenticate") },
  );

/** 405, naming the methods the path accepts (as its `Allow` does). */
export const methodNotAllowedResponse = (allow: string) =>
  problemResponse(
    `Only ${allow} is allowed here; see \`Allow\`.`,
    [problem("method_not_allowed", `This endpoint accepts ${allow}.`)],
    { Allow: header("Allow") },
  );

/** 413 of an endpoint whose body may be at most `maxBytes` long. */
export const payloadTooLargeResponse = (maxBytes: number) =>
  problemResponse(`The body is over ${maxBytes} bytes.`, [problem("payload_too_large", tooLarge(maxBytes))]);

/** 415 of an endpoint that requires a JSON body. */
export const unsupportedMediaTypeResponse = () =>
  problemResponse(
    "The body is not `application/json` (see `Accept`), or it is compressed: any `Content-Encoding` but `identity` (see `Accept-Encoding`).",
    [problem("unsupported_media_type", NOT_JSON)],
    { Accept: header("AcceptJson"), "Accept-Encoding": header("AcceptEncodingIdentity") },
  );

/** 429 of a credential over one of its budgets; nothing was done. */
export const rateLimitedResponse = (budget: "conversions" | "requests") =>
  problemResponse(
    `This credential is over its budget of ${DEFAULT_RATE_LIMITS[budget]} ${budget} per minute (the default), or its entity over ${ENTITY_BUDGET_FACTOR}× that for all its credentials together (\`"entity-${budget}"\`), or — for an integration key not yet seen working — its client address sent ${DEFAULT_AUTH_FAILURES_PER_MINUTE} keys that failed in the last minute (\`"auth-failures"\`); nothing was done. Checked right after the credential.`,
    [problem("rate_limited", overBudget(DEFAULT_RATE_LIMITS[budget], budget))],
    { "Retry-After": header("RetryAfter"), "RateLimit-Policy": header("RateLimitPolicy") },
  );

/** 500: a fault of the service. */
export const internalErrorResponse = () =>
  problemResponse(
    "Something unexpected failed — a fault of the service, not of the database; the body never carries internals.",
    [problem("internal_error", INTERNAL_ERROR)],
  );

const unavailableExample = () => problem("service_unavailable", DATABASE_UNAVAILABLE);

/** 503 of an operation that reads or writes through the database: retrying is safe. */
export const unavailableResponse = () =>
  problemResponse(
    "The database could not be reached, was busy or did not answer in time; `Retry-After` says when to try again. The conversion may or may not have happened (an answer can be lost after the commit): retrying the same request is safe and returns its outcome — a replay if it happened.",
    [unavailableExample()],
    { "Retry-After": header("RetryAfter") },
  );

/** 503 of the readiness probe. */
export const notReadyResponse = () =>
  problemResponse("The database could not be reached, was busy or did not answer in time.", [unavailableExample()], {
    "Retry-After": header("RetryAfter"),
  });

/** The responses every authenticated GET shares: token, scope, method, rate limit, failures. */
export const readResponses = (scope: string, allow: string) => ({
  401: unauthorizedResponse(),
  403: problemResponse(
    `\`insufficient_scope\`: the token's or the integration key's scopes lack \`${scope}\`.`,
    [example(insufficientScopeError(scope))],
    { "WWW-Authenticate": header("WWWAuthenticate") },
  ),
  405: methodNotAllowedResponse(allow),
  429: rateLimitedResponse("requests"),
  500: internalErrorResponse(),
  503: unavailableResponse(),
});

/** A problem an operation may answer: its code and the detail of its example. */
export type DocumentedProblem = [code: ProblemCode, detail: string];

/**
 * Error responses with only `X-Request-Id`, one per status (as PROBLEMS maps
 * each code), listing its codes in the order given: how the webhooks and
 * events operations document theirs.
 *
 * @example
 * responses: { 200: ok, ...problemsByStatus([["event_not_found", "No event with this id exists for the financial entity."]]) }
 */
export function problemsByStatus(codes: DocumentedProblem[]) {
  const byStatus = new Map<number, DocumentedProblem[]>();
  for (const documented of codes) {
    const { status } = PROBLEMS[documented[0]];
    byStatus.set(status, [...(byStatus.get(status) ?? []), documented]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      status,
      {
        description: describeCodes(list.map(([code]) => code)),
        headers: { "X-Request-Id": header("XRequestId") },
        content: problemContent(list.map(([code, detail]) => problem(code, detail))),
      },
    ]),
  );
}

/** A refusal's problem, as the document's examples show it. */
export const refusalExample = (kind: ConversionRefusal["kind"]) =>
  example(
    refusalError(
      kind === "client_already_exists"
        ? { kind, existingClientId: EXAMPLE_EXISTING_CLIENT }
        : ({ kind } as ConversionRefusal),
    ),
  );

/** 403 of the conversion endpoints, single and bulk. */
export const conversionForbiddenResponse = () =>
  problemResponse(
    `${describeCodes(["forbidden", "insufficient_scope", "financial_entity_suspended"])}: the token acts for another entity, lacks the \`${CONVERT_SCOPE}\` scope, or the entity is suspended.`,
    [refusalExample("forbidden"), refusalExample("insufficient_scope"), refusalExample("financial_entity_suspended")],
  );
