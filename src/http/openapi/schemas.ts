import * as z from "zod/mini";
import { PROBLEMS } from "../problem";

// The wire shapes several routes answer with, described for the OpenAPI
// document only: the runtime builds these bodies in toUserBody() and
// problemBody(), and the contract tests check every response they see against
// the generated document. Each is built once, on first use (never in the
// Worker, which serves the document written at build time), and is the same
// object wherever it is used, so the document refers to it by its id.

const uuid = () => z.string().check(z.guid());
const text = () => z.nullable(z.string());
const number = () => z.nullable(z.number());
const object = () => z.record(z.string(), z.unknown());

let user: ReturnType<typeof buildUserBodySchema> | undefined;
let problem: ReturnType<typeof buildProblemSchema> | undefined;
let lead: ReturnType<typeof buildLeadBodySchema> | undefined;

const buildUserBodySchema = () =>
  z.strictObject({
    _id: uuid(),
    image: text(),
    name: text(),
    lastname: text(),
    business_name: text(),
    quota: number(),
    status: z.string(),
    phone: text(),
    email: text(),
    nit: text(),
    address: text(),
    history: z.array(z.unknown()),
    score: number(),
    payment_data: object(),
    apn_token: z.string(),
    ecosystem: uuid(),
    business_entity: text(),
    additional_data: object(),
  });

/** The client (the API's "user"), 18 keys in this order: the conversion's 200 body. */
export const userBodySchema = () => (user ??= buildUserBodySchema());

const buildLeadBodySchema = () => {
  const uuid = z.string().check(z.guid());
  const text = z.nullable(z.string());
  const number = z.nullable(z.number());
  const time = z.string().check(z.iso.datetime());
  const object = z.nullable(z.record(z.string(), z.unknown()));
  return z.strictObject({
    id: uuid,
    status: z.string(),
    ecosystem: uuid,
    financial_entity_id: z.nullable(uuid),
    converted_user_id: z.nullable(uuid),
    converted_at: z.nullable(time),
    created_at: time,
    image: text,
    name: text,
    lastname: text,
    business_name: text,
    quota: number,
    phone: text,
    email: text,
    nit: text,
    address: text,
    history: z.nullable(z.array(z.unknown())),
    score: number,
    payment_data: object,
    apn_token: text,
    business_entity: text,
    additional_data: object,
  });
};

/** The lead, 22 keys in this order (`GET /leads/{lead_id}`, and the lead events); JSON members are null when the lead has none. */
export const leadBodySchema = () => (lead ??= buildLeadBodySchema());

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
