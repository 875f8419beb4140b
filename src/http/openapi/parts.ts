import { ApiError, PROBLEM_CONTENT_TYPE, type ProblemCode, type ProblemOptions, problemBody } from "../problem";

// What both halves of the OpenAPI document (document.ts and events.ts) build
// with, so that a problem is shown the same way on every path.

/** The request id every problem example carries. */
export const EXAMPLE_REQUEST_ID = "3f0e9a4c-1d2b-4c5e-9f80-7a6b5c4d3e2f";

/**
 * A reference to a component schema.
 *
 * @example
 * ref("Problem") // → { $ref: "#/components/schemas/Problem" }
 */
export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/**
 * A reference to a component header.
 *
 * @example
 * header("XRequestId") // → { $ref: "#/components/headers/XRequestId" }
 */
export const header = (name: string) => ({ $ref: `#/components/headers/${name}` });

/**
 * A named example of the body the service answers `error` with.
 *
 * @example
 * example(insufficientScopeError(MANAGE_KEYS_SCOPE)) // → { summary: "insufficient_scope", value: { type, title, … } }
 */
export const example = (error: ApiError) => ({
  summary: error.code,
  value: problemBody(error, EXAMPLE_REQUEST_ID),
});

export type ProblemExample = ReturnType<typeof example>;

/**
 * The example of a problem made from its code and detail.
 *
 * @example
 * problem("internal_error", "An unexpected error occurred.")
 */
export const problem = (code: ProblemCode, detail: string, options?: ProblemOptions) =>
  example(new ApiError(code, detail, options));

/**
 * Codes as a response's description lists them.
 *
 * @example
 * describeCodes(["unauthorized", "forbidden"]) // → "`unauthorized`, `forbidden`"
 */
export const describeCodes = (codes: readonly string[]) => codes.map((c) => `\`${c}\``).join(", ");

/**
 * The `content` of an error response: the Problem schema and the examples, keyed by code.
 *
 * @example
 * ({ description: "`internal_error`", content: problemContent([problem("internal_error", "An unexpected error occurred.")]) })
 */
export const problemContent = (examples: ProblemExample[]) => ({
  [PROBLEM_CONTENT_TYPE]: {
    schema: ref("Problem"),
    examples: Object.fromEntries(examples.map((e) => [e.summary, e])),
  },
});
