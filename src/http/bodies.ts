import * as z from "zod/mini";
import { LEAD_SHAPE, USER_SHAPE, type WireShape } from "../db/columns";
import type { Client } from "../domain/client";
import type { LeadView } from "../domain/read-lead";

// The 200 bodies and their response schemas, both derived from the one
// declaration of each wire shape (src/db/columns.ts): a member added there is
// answered, documented and carried by the events at once.

/** The body of a value under a shape: each wire name with the value's field, in the shape's order. */
export type BodyOf<S extends WireShape, V> = { -readonly [K in keyof S]: V[S[K]["field"] & keyof V] };

/**
 * The zod schema of a shape's body (every member present, no other), built on
 * first use and then the same object wherever it is used, so the OpenAPI
 * document refers to it by its id. The Worker, which serves the document
 * written at build time, never builds it.
 */
function schemaOf<S extends WireShape>(shape: S) {
  type Members = { [K in keyof S]: ReturnType<S[K]["wire"]> };
  let schema: z.ZodMiniObject<Members, z.core.$strict> | undefined;
  return () =>
    (schema ??= z.strictObject(
      Object.fromEntries(Object.entries(shape).map(([wire, m]) => [wire, m.wire()])) as Members,
    ));
}

/** The mapper of a shape: a domain value as its body, keys in the documented order, every one present. */
function mapperOf<S extends WireShape>(shape: S) {
  const members = Object.entries(shape);
  return <V extends Record<S[keyof S]["field"], unknown>>(value: V): BodyOf<S, V> =>
    Object.fromEntries(members.map(([wire, m]) => [wire, value[m.field as keyof V]])) as BodyOf<S, V>;
}

/** The 200 body: the client (the API's "user"), 18 keys in this order. */
export const userBodySchema = schemaOf(USER_SHAPE);

/** `GET /leads/{lead_id}`: the lead, 22 keys in this order; JSON members are null when the lead has none. */
export const leadBodySchema = schemaOf(LEAD_SHAPE);

const userBody = mapperOf(USER_SHAPE);
const leadBody = mapperOf(LEAD_SHAPE);

/**
 * A client as the API's 200 body: the 18 documented keys, in the documented order, every one present.
 *
 * @example
 * return c.json(toUserBody(outcome.client), 200);
 */
export const toUserBody = (client: Client) => userBody(client);

/**
 * A lead as `GET /leads/{lead_id}` answers it: the 22 documented keys, in the documented order, every one present.
 *
 * @example
 * return c.json(toLeadBody(outcome.lead), 200);
 */
export const toLeadBody = (lead: LeadView) => leadBody(lead);

export type UserBody = ReturnType<typeof toUserBody>;
export type LeadBody = ReturnType<typeof toLeadBody>;
