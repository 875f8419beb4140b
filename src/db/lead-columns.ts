import { type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { leads } from "./schema";
import { isoTime, jsonArrayOrNull, jsonObjectOrNull, numberOrNull } from "./stored-values";

/** The leads table, or an alias of it: the columns a lead is read from. */
type LeadTable = Record<LeadColumnName, SQLiteColumn>;
type LeadColumnName = keyof Pick<
  typeof leads,
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
  | "version"
>;

/**
 * The lead as `GET /leads/{lead_id}` shows it, declared once: each wire key,
 * the name the domain's `LeadView` gives it, and the checked column it is read
 * from (values other tools stored come out as the body promises). The read
 * (`leadColumnsOf`) and the events' JSON (`leadJsonOf`) are both made from it,
 * so the body a webhook carries is the body a GET answers.
 */
function leadFields(t: LeadTable) {
  return [
    ["id", "id", t.id, "value"],
    ["status", "status", t.status, "value"],
    ["ecosystem", "ecosystemId", t.ecosystemId, "value"],
    ["financial_entity_id", "financialEntityId", t.financialEntityId, "value"],
    ["converted_user_id", "convertedClientId", t.convertedClientId, "value"],
    ["converted_at", "convertedAt", isoTime(t.convertedAt), "value"],
    ["created_at", "createdAt", isoTime(t.createdAt), "value"],
    ["image", "image", t.image, "value"],
    ["name", "name", t.name, "value"],
    ["lastname", "lastname", t.lastname, "value"],
    ["business_name", "businessName", t.businessName, "value"],
    ["quota", "quota", numberOrNull(t.quota), "value"],
    ["phone", "phone", t.phone, "value"],
    ["email", "email", t.email, "value"],
    ["nit", "nit", t.nit, "value"],
    ["address", "address", t.address, "value"],
    ["history", "history", jsonArrayOrNull(t.history).mapWith(t.history), "json"],
    ["score", "score", numberOrNull(t.score), "value"],
    ["payment_data", "paymentData", jsonObjectOrNull(t.paymentData).mapWith(t.paymentData), "json"],
    ["apn_token", "apnToken", t.apnToken, "value"],
    ["business_entity", "businessEntity", t.businessEntity, "value"],
    ["additional_data", "additionalData", jsonObjectOrNull(t.additionalData).mapWith(t.additionalData), "json"],
  ] as const;
}

/**
 * The columns a Drizzle select reads a lead with, as the domain's `LeadView`
 * (plus its `version`, which the `ETag` is made from).
 *
 * @example
 * db.select(leadColumnsOf(leads)).from(leads).where(eq(leads.id, leadId));
 */
export function leadColumnsOf(t: LeadTable) {
  const columns = Object.fromEntries(leadFields(t).map(([, name, column]) => [name, column]));
  return { ...(columns as LeadColumnMap), version: t.version };
}

type LeadColumnMap = {
  [F in ReturnType<typeof leadFields>[number] as F[1]]: F[2];
};

/**
 * The lead as a JSON object built in SQL, keys in the body's order: what a
 * `lead.*` event carries as `data.lead`.
 *
 * @example
 * sql`json_object('lead', ${leadJsonOf(leads)})`
 */
export function leadJsonOf(t: LeadTable): SQL {
  return sql`json_object(${sql.join(
    leadFields(t).map(([wire, , column, kind]) =>
      kind === "json" ? sql`${sql.raw(`'${wire}'`)}, json(${column})` : sql`${sql.raw(`'${wire}'`)}, ${column}`,
    ),
    sql`, `,
  )})`;
}
