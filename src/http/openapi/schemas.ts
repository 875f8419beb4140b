import * as z from "zod/mini";
import { userBodySchema } from "../bodies";
import { PROBLEMS } from "../problem";

// The wire shapes several routes answer with, described for the OpenAPI
// document only: the runtime builds these bodies in toUserBody() and
// problemBody(), and the contract tests check every response they see against
// the generated document. Each is built once, on first use (never in the
// Worker, which serves the document written at build time), and is the same
// object wherever it is used, so the document refers to it by its id.

const uuid = () => z.string().check(z.guid());

let problem: ReturnType<typeof buildProblemSchema> | undefined;

// The user and lead bodies are declared once, with their columns (src/db/columns.ts), and derived in ../bodies.ts.
export { leadBodySchema, userBodySchema } from "../bodies";

const buildProblemSchema = () => {
  const codes = Object.keys(PROBLEMS) as [keyof typeof PROBLEMS, ...(keyof typeof PROBLEMS)[]];
  return z.strictObject({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    code: z.enum(codes),
    request_id: z.string(),
    errors: z.optional(z.array(z.strictObject({ path: z.string(), message: z.string() }))),
    existing_user_id: z.optional(uuid()),
    existing_lead_id: z.optional(uuid()),
  });
};

/** Every error: RFC 9457 problem details with the API's stable `code` and the request id. */
export const problemSchema = () => (problem ??= buildProblemSchema());

/** The components every part of the document refers to. */
export const sharedSchemas = () => ({
  User: {
    schema: userBodySchema(),
    description:
      "The new client of the financial entity (the API calls it a user): always these 18 keys, in this order.",
  },
  Problem: {
    schema: problemSchema(),
    description: "An error, as RFC 9457 problem details with a stable `code` and the request id.",
  },
});
