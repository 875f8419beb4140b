import { type Column, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import * as z from "zod/mini";
import type { Client } from "../domain/client";
import type { LeadView } from "../domain/read-lead";
import { clients, leads } from "./schema";
import {
  isoTime,
  jsonArrayOrEmpty,
  jsonArrayOrNull,
  jsonObjectOrEmpty,
  jsonObjectOrNull,
  numberOrNull,
} from "./stored-values";

// Each wire shape the API answers with, declared once: for every member, in
// the documented order, its wire name, the domain field that carries it, the
// stored column as read (normalized: rows other tools wrote come out as the body
// promises) and its type on the wire. The Drizzle selects, the event's SQL
// `json_object`, the HTTP mapper and the zod response schema (src/http/bodies.ts)
// are all derived from these.

/**
 * One member of a wire shape. `wire` builds its zod type (on first use: the
 * Worker never builds the response schemas). `json`: the column holds JSON
 * text, embedded as JSON in SQL-built bodies.
 */
export interface WireMember<F extends string = string> {
  field: F;
  column: Column | SQL;
  wire: () => z.ZodMiniType;
  json: boolean;
}

/** A wire shape: wire name → member, in the documented order. */
export type WireShape<F extends string = string> = Record<string, WireMember<F>>;

const member = <F extends string, C extends Column | SQL, W extends z.ZodMiniType>(
  field: F,
  column: C,
  wire: () => W,
  json = false,
) => ({ field, column, wire, json });

const uuid = () => z.string().check(z.guid());
const text = () => z.nullable(z.string());
const number = () => z.nullable(z.number());
const string = () => z.string();
const object = () => z.record(z.string(), z.unknown());
const nullableObject = () => z.nullable(object());
const time = () => z.string().check(z.iso.datetime());

/** The client (the API's "user") as every 200 body and the `lead.converted` event show it: 18 keys. */
export const USER_SHAPE = {
  _id: member("id", clients.id, uuid),
  image: member("image", clients.image, text),
  name: member("name", clients.name, text),
  lastname: member("lastname", clients.lastname, text),
  business_name: member("businessName", clients.businessName, text),
  quota: member("quota", numberOrNull(clients.quota), number),
  status: member("status", clients.status, string),
  phone: member("phone", clients.phone, text),
  email: member("email", clients.email, text),
  nit: member("nit", clients.nit, text),
  address: member("address", clients.address, text),
  history: member(
    "history",
    jsonArrayOrEmpty(clients.history).mapWith(clients.history),
    () => z.array(z.unknown()),
    true,
  ),
  score: member("score", numberOrNull(clients.score), number),
  payment_data: member(
    "paymentData",
    jsonObjectOrEmpty(clients.paymentData).mapWith(clients.paymentData),
    object,
    true,
  ),
  apn_token: member("apnToken", clients.apnToken, string),
  ecosystem: member("ecosystemId", clients.ecosystemId, uuid),
  business_entity: member("businessEntity", clients.businessEntity, text),
  additional_data: member(
    "additionalData",
    jsonObjectOrEmpty(clients.additionalData).mapWith(clients.additionalData),
    object,
    true,
  ),
} satisfies WireShape<keyof Client>;

/** The leads table, or an alias of it (a statement that reads two leads at once). */
type LeadTable = Record<
  | "id"
  | "status"
  | "ecosystemId"
  | "financialEntityId"
  | "convertedClientId"
  | "convertedAt"
  | "createdAt"
  | "image"
  | "name"
  | "lastname"
  | "businessName"
  | "quota"
  | "phone"
  | "email"
  | "nit"
  | "address"
  | "history"
  | "score"
  | "paymentData"
  | "apnToken"
  | "businessEntity"
  | "additionalData"
  | "version",
  SQLiteColumn
>;

/** {@link LEAD_SHAPE}, read from `t`: the leads table or an alias of it. */
export const leadShapeOf = (leads: LeadTable) =>
  ({
    id: member("id", leads.id, uuid),
    status: member("status", leads.status, string),
    ecosystem: member("ecosystemId", leads.ecosystemId, uuid),
    financial_entity_id: member("financialEntityId", leads.financialEntityId, () => z.nullable(uuid())),
    converted_user_id: member("convertedClientId", leads.convertedClientId, () => z.nullable(uuid())),
    converted_at: member("convertedAt", isoTime(leads.convertedAt), () => z.nullable(time())),
    created_at: member("createdAt", isoTime(leads.createdAt), time),
    image: member("image", leads.image, text),
    name: member("name", leads.name, text),
    lastname: member("lastname", leads.lastname, text),
    business_name: member("businessName", leads.businessName, text),
    quota: member("quota", numberOrNull(leads.quota), number),
    phone: member("phone", leads.phone, text),
    email: member("email", leads.email, text),
    nit: member("nit", leads.nit, text),
    address: member("address", leads.address, text),
    history: member(
      "history",
      jsonArrayOrNull(leads.history).mapWith(leads.history),
      () => z.nullable(z.array(z.unknown())),
      true,
    ),
    score: member("score", numberOrNull(leads.score), number),
    payment_data: member(
      "paymentData",
      jsonObjectOrNull(leads.paymentData).mapWith(leads.paymentData),
      nullableObject,
      true,
    ),
    apn_token: member("apnToken", leads.apnToken, text),
    business_entity: member("businessEntity", leads.businessEntity, text),
    additional_data: member(
      "additionalData",
      jsonObjectOrNull(leads.additionalData).mapWith(leads.additionalData),
      nullableObject,
      true,
    ),
  }) satisfies WireShape<keyof LeadView>;

/** A lead as `GET /leads/{lead_id}` and the lead events show it: 22 keys; JSON members are null when absent. */
export const LEAD_SHAPE = leadShapeOf(leads);

/** A shape's columns under their domain names, for a Drizzle select. */
export type SelectOf<S extends WireShape> = { [K in keyof S as S[K]["field"]]: S[K]["column"] };

/**
 * A shape's columns under their domain names, for a Drizzle select that reads the domain's value.
 *
 * @example
 * db.select(selectOf(LEAD_SHAPE)).from(leads) // rows shaped as LeadView
 */
export function selectOf<S extends WireShape>(shape: S): SelectOf<S> {
  return Object.fromEntries(Object.values(shape).map((m) => [m.field, m.column])) as SelectOf<S>;
}

/**
 * The body, built in SQL from the shape's columns: what the API would answer,
 * for an event written in the same batch as the change it reports.
 *
 * @example
 * sql`select ${jsonObjectOf(USER_SHAPE)} from ${clients} where ${clients.id} = ${id}`
 */
export function jsonObjectOf(shape: WireShape): SQL {
  const members = Object.entries(shape).map(
    ([wire, m]) => sql`${sql.raw(`'${wire}'`)}, ${m.json ? sql`json(${m.column})` : m.column}`,
  );
  return sql`json_object(${sql.join(members, sql`, `)})`;
}

/** A client row as the domain's {@link Client}: the user body's columns and the client's entity. */
export const clientColumns = { financialEntityId: clients.financialEntityId, ...selectOf(USER_SHAPE) };

/**
 * A lead row as the domain's {@link LeadView}, with its `version` (the `ETag`
 * is made from it), read from `t`: the leads table or an alias of it.
 *
 * @example
 * db.select(leadColumnsOf(alias(leads, "same"))).from(…)
 */
export const leadColumnsOf = (t: LeadTable) => ({ ...selectOf(leadShapeOf(t)), version: t.version });

/** A lead row as the domain's {@link LeadView}. */
export const leadColumns = leadColumnsOf(leads);
