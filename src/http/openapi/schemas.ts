import * as z from "zod/mini";
import { API_KEY_SCOPES } from "../../domain/scopes";
import { PROBLEMS } from "../problem";

// Response shapes, described for the OpenAPI document only: the runtime builds
// these bodies in toUserBody() and problemBody(), and the contract tests check
// every response they see against the generated document.

const uuid = z.string().check(z.guid());
const text = z.nullable(z.string());
const number = z.nullable(z.number());
const object = z.record(z.string(), z.unknown());

/** The 200 body: the client (the API's "user"), 18 keys in this order. */
export const userBodySchema = z.strictObject({
  _id: uuid,
  image: text,
  name: text,
  lastname: text,
  business_name: text,
  quota: number,
  status: z.string(),
  phone: text,
  email: text,
  nit: text,
  address: text,
  history: z.array(z.unknown()),
  score: number,
  payment_data: object,
  apn_token: z.string(),
  ecosystem: uuid,
  business_entity: text,
  additional_data: object,
});

const time = z.string().check(z.iso.datetime());
const nullableObject = z.nullable(object);

/** `GET /leads/{lead_id}`: the lead, 22 keys in this order; JSON members are null when the lead has none. */
export const leadBodySchema = z.strictObject({
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
  payment_data: nullableObject,
  apn_token: text,
  business_entity: text,
  additional_data: nullableObject,
});

const codes = Object.keys(PROBLEMS) as [keyof typeof PROBLEMS, ...(keyof typeof PROBLEMS)[]];

/** Every error: RFC 9457 problem details with the API's stable `code` and the request id. */
export const problemSchema = z.strictObject({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  code: z.enum(codes),
  request_id: z.string(),
  errors: z.optional(
    z.array(
      z.strictObject({
        path: z.string(),
        message: z.string(),
      }),
    ),
  ),
  existing_user_id: z.optional(uuid),
  existing_lead_id: z.optional(uuid),
});

const scopes = z.array(z.enum(API_KEY_SCOPES));
const timestamp = z.string().check(z.iso.datetime());

/** An integration key as listed: never the key text. */
export const apiKeySchema = z.strictObject({
  id: uuid,
  name: z.string(),
  scopes,
  prefix: z.string().check(z.length(8)),
  created_at: timestamp,
  expires_at: z.nullable(timestamp),
  revoked_at: z.nullable(timestamp),
  last_used_at: z.nullable(timestamp),
});

/** The 201 answer of `POST /api-keys`: the only time the key text is shown. */
export const createdApiKeySchema = z.extend(z.omit(apiKeySchema, { revoked_at: true, last_used_at: true }), {
  key: z.string().check(z.regex(/^lck_[0-9A-Za-z]{43}_[0-9A-Za-z]{6}$/)),
});

export const apiKeyListSchema = z.strictObject({ data: z.array(apiKeySchema) });

// A refusal of one lead: the problem, without the call's request id, and never `errors` (those refuse the whole call).
const itemProblemSchema = z.omit(problemSchema, { request_id: true, errors: true });

/** `POST /turn-leads-into-clients`: one result per requested lead, in the request's order. */
export const bulkResultsSchema = z.strictObject({
  results: z.array(
    z.union([
      z.strictObject({
        lead_id: uuid,
        status: z.literal(200),
        replayed: z.boolean(),
        linked: z.boolean(),
        user: userBodySchema,
      }),
      z.strictObject({ lead_id: uuid, status: z.union([z.literal(404), z.literal(409)]), problem: itemProblemSchema }),
    ]),
  ),
});

export const healthSchema = z.strictObject({ status: z.literal("ok") });
