import type { ResultSet } from "@libsql/client/http";
import { eq, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { LeadChangeCommand, LeadChangeSnapshot, LeadChangeStore } from "../domain/change-lead";
import { CONVERTED_LEAD_STATUS } from "../domain/client";
import { LEAD_UPDATED } from "../domain/events";
import { type LeadProfile, MAX_LEAD_JSON_BYTES } from "../domain/lead-intake";
import type { LeadView } from "../domain/read-lead";
import { LEADS_WRITE_SCOPE } from "../domain/scopes";
import { actingAs } from "./acting-as";
import { type Database, toStatement } from "./client";
import { jsonObjectOf, LEAD_SHAPE, leadColumnsOf } from "./columns";
import { callDatabase } from "./errors";
import { gatedBatch, gateKeyOf, type KeyVerdicts } from "./key-gate";
import {
  insertDeliveriesOfThisCall,
  leadEventBody,
  newEventId,
  ofThisCall,
  selectEventsToAnnounce,
} from "./lead-outbox";
import { clients, financialEntities, leads, webhookEvents } from "./schema";
import { jsonObjectOrNull, StoredValueError } from "./stored-values";

/** Each patchable field: its wire name, its column, and how a patch sets it. */
const PATCHABLE = [
  ["image", "image", "value"],
  ["name", "name", "value"],
  ["lastname", "lastname", "value"],
  ["business_name", "businessName", "value"],
  ["quota", "quota", "value"],
  ["phone", "phone", "value"],
  ["email", "email", "value"],
  ["nit", "nit", "value"],
  ["address", "address", "value"],
  ["history", "history", "json"],
  ["score", "score", "value"],
  ["payment_data", "paymentData", "merge"],
  ["apn_token", "apnToken", "value"],
  ["business_entity", "businessEntity", "value"],
  ["additional_data", "additionalData", "merge"],
] as const satisfies readonly (readonly [string, keyof LeadProfile & keyof typeof leads, string])[];

/**
 * The new value of each field the patch names, as SQL over the lead's row:
 * a bound value, JSON text for `history`, and for the two objects RFC 7396's
 * merge of the patch into what is stored (`json_patch`, which is that merge).
 */
function patchedValues(command: LeadChangeCommand) {
  const values: { wire: string; name: string; column: SQL; value: SQL; merged: boolean }[] = [];
  for (const [wire, field, kind] of PATCHABLE) {
    const given = command.patch.profile[field];
    if (given === undefined) continue;
    const column = sql`${leads[field]}`;
    let value: SQL;
    if (given === null) value = sql`null`;
    else if (kind === "merge")
      value = sql`json_patch(coalesce(${jsonObjectOrNull(leads[field])}, '{}'), ${JSON.stringify(given)})`;
    else if (kind === "json") value = sql`${JSON.stringify(given)}`;
    else value = sql`${given}`;
    values.push({ wire, name: leads[field].name, column, value, merged: kind === "merge" && given !== null });
  }
  if (command.patch.status !== undefined)
    values.push({
      wire: "status",
      name: leads.status.name,
      column: sql`${leads.status}`,
      value: sql`${command.patch.status}`,
      merged: false,
    });
  return values;
}

/**
 * The statements of one change, each deciding for itself, as one batch:
 * 1. the `lead.updated` event, when the entity may change the lead (it is
 *    active, the lead is assigned to it and not converted), `If-Match` holds,
 *    the patch gives it no NIT key another unconverted lead of the ecosystem
 *    holds, and the patch changes something — naming what it changes;
 * 2. the lead changed, only when that event exists, its version moved on;
 * 3. the event given the lead as it now is;
 * 4. the event's deliveries; 5. the read-back; 6. the events to announce.
 *
 * @example
 * const { statements, read } = leadChangeStatements(db, command);
 */
export function leadChangeStatements(db: Database, command: LeadChangeCommand) {
  const around = actingAs(command.acting, { writes: true, scope: LEADS_WRITE_SCOPE });
  const { entity } = around;
  const fe = financialEntities;
  const l = leads;
  const other = alias(leads, "other");
  const values = patchedValues(command);
  const prefix = command.eventIdPrefix;

  const changed = sql`(select json_group_array(value) from json_each(json_array(${sql.join(
    values.length === 0
      ? [sql`null`]
      : values.map(({ wire, column, value }) => sql`case when (${value}) is not ${column} then ${wire} end`),
    sql`, `,
  )})) where value is not null)`;
  // The merged objects the change would store over the cap a create has (UTF-8 bytes of the JSON text); an
  // object the patch leaves as it is stays, whatever its size.
  const mergedValues = values.filter(({ merged }) => merged);
  const oversized = sql`(select json_group_array(value) from json_each(json_array(${sql.join(
    mergedValues.length === 0
      ? [sql`null`]
      : mergedValues.map(
          ({ wire, column, value }) =>
            sql`case when length(cast((${value}) as blob)) > ${MAX_LEAD_JSON_BYTES} and (${value}) is not ${column} then ${wire} end`,
        ),
    sql`, `,
  )})) where value is not null)`;
  const { precondition, nitKey } = command;
  const preconditionHolds =
    precondition === null || precondition === "any"
      ? sql`1`
      : sql`${l.version} in (select value from json_each(${JSON.stringify(precondition.versions)}))`;
  const nitIsFree =
    nitKey === null
      ? sql`1`
      : sql`(${nitKey} = '' or ${nitKey} is ${l.nitKey} or not exists (select 1 from ${leads} as "other"
          where ${other.ecosystemId} = ${l.ecosystemId} and ${other.nitKey} = ${nitKey} and ${other.id} <> ${l.id}
            and ${other.convertedClientId} is null and ${other.status} <> ${CONVERTED_LEAD_STATUS}))`;
  const mayChange = sql`${l.id} = ${command.leadId} and ${fe.status} = 'active' and ${l.ecosystemId} = ${fe.ecosystemId}
    and ${l.financialEntityId} = ${fe.id} and ${l.convertedClientId} is null and ${l.status} <> ${CONVERTED_LEAD_STATUS}
    and ${preconditionHolds} and ${nitIsFree} and ${oversized} = '[]'`;

  const insertEvent = sql`insert into ${webhookEvents} ("id", "financial_entity_id", "type", "payload", "created_at")
    select ${newEventId(prefix)}, ${fe.id}, ${LEAD_UPDATED}, ${leadEventBody(LEAD_UPDATED, {
      lead: sql`json('null')`,
      financialEntityId: sql`${fe.id}`,
      requestId: command.requestId,
      at: command.at,
      extra: sql`'changed', json(${changed})`,
    })}, ${command.at}
    from ${l} join ${fe} on ${fe.id} = ${entity} where ${mayChange} and ${changed} <> '[]'`;

  const sets = [
    ...values.map(({ name, value }) => sql`${sql.identifier(name)} = ${value}`),
    ...(command.patch.profile.nit === undefined ? [] : [sql`"nit_key" = ${nitKey}`]),
    sql`"version" = ${l.version} + 1`,
    sql`"updated_at" = ${command.at}`,
  ];
  const updateLead = sql`update ${l} set ${sql.join(sets, sql`, `)}
    where ${l.id} = ${command.leadId} and exists (select 1 from ${webhookEvents} where ${ofThisCall(prefix)})`;
  const fillEvent = sql`update ${webhookEvents} set "payload" = json_set("payload", '$.data.lead',
      json((select ${jsonObjectOf(LEAD_SHAPE)} from ${l} where ${l.id} = ${command.leadId})))
    where ${ofThisCall(prefix)}`;

  const readBack = db
    .select({
      lead: leadColumnsOf(l),
      entityId: fe.id,
      entityEcosystemId: fe.ecosystemId,
      entityStatus: fe.status,
      convertedClientEntityId: clients.financialEntityId,
      changed: sql<
        string | null
      >`(select json_extract(${webhookEvents.payload}, '$.data.changed') from ${webhookEvents} where ${ofThisCall(prefix)})`,
      oversized: sql<string>`${oversized}`,
      nitHolder:
        nitKey === null
          ? sql<string | null>`null`
          : sql<string | null>`(select json_array(${other.id}, ${other.financialEntityId}) from ${leads} as "other"
              where ${nitKey} <> '' and ${nitKey} is not ${l.nitKey} and ${other.ecosystemId} = ${l.ecosystemId}
                and ${other.nitKey} = ${nitKey} and ${other.id} <> ${l.id}
                and ${other.convertedClientId} is null and ${other.status} <> ${CONVERTED_LEAD_STATUS}
              order by +"other".rowid limit 1)`, // `+`: not the ecosystem in rowid order (leads_ecosystem_idx)
    })
    .from(sql`(select 1) as "attempt"`)
    .leftJoin(fe, eq(fe.id, entity))
    // Nothing at all is read for a key that may not act.
    .leftJoin(l, sql`${l.id} = ${command.leadId} and ${entity} is not null`)
    .leftJoin(clients, eq(clients.id, l.convertedClientId))
    .prepare();

  const own: (SQL | { sql: string; params: unknown[] })[] = [
    insertEvent,
    updateLead,
    fillEvent,
    insertDeliveriesOfThisCall(prefix, command.at),
    readBack.getQuery(),
    selectEventsToAnnounce(prefix),
  ];
  return {
    statements: [...around.before, ...own, ...around.after].map(toStatement),
    read(results: ResultSet[]): LeadChangeSnapshot {
      const { apiKey, result } = around.split(results);
      type Row = {
        lead: LeadView | null;
        entityId: string | null;
        entityEcosystemId: string | null;
        entityStatus: string | null;
        convertedClientEntityId: string | null;
        changed: string | null;
        oversized: string;
        nitHolder: string | null;
      };
      let row: Row;
      try {
        row = (readBack.mapResult(result[4]!, true) as Row[])[0]!;
      } catch {
        // A decoding error quotes the value (JSON.parse does): neither it nor its cause may reach a log.
        throw new StoredValueError("a stored value read by the lead change could not be decoded");
      }
      const holder = row.nitHolder === null ? null : (JSON.parse(row.nitHolder) as [string, string | null]);
      return {
        ...(apiKey === undefined ? {} : { apiKey }),
        found:
          row.lead === null
            ? null
            : {
                lead: row.lead,
                entity: row.entityId === null ? null : { id: row.entityId, ecosystemId: row.entityEcosystemId! },
                convertedClientEntityId: row.convertedClientEntityId,
              },
        entityStatus: row.entityStatus,
        changed: row.changed === null ? null : (JSON.parse(row.changed) as string[]),
        oversized: row.lead === null ? [] : (JSON.parse(row.oversized) as string[]),
        nitHolder: holder === null ? null : { id: holder[0], financialEntityId: holder[1] },
        eventIds: result[5]!.rows.map((r) => String(r.id)),
      };
    },
  };
}

export interface LeadChangeStoreOptions {
  /** How long one change may take before it is reported as unavailable. */
  timeoutMs: number;
  /** What this isolate learned about keys: a refused key is never looked up again, and a known one waits for the lock. */
  keyVerdicts?: KeyVerdicts;
}

/**
 * The {@link LeadChangeStore} over libSQL: one `batch` — one request to the database — per change.
 *
 * @example
 * const snapshot = await createLeadChangeStore(db, { timeoutMs: 5_000 }).changeLead(command);
 */
export function createLeadChangeStore(db: Database, options: LeadChangeStoreOptions): LeadChangeStore {
  return {
    async changeLead(command) {
      const { statements, read } = leadChangeStatements(db, command);
      // "write" opens with BEGIN IMMEDIATE: a concurrent change waits, then sees this one's version. A key goes
      // through the gate first: one that fails it never takes the write lock (key-gate.ts).
      return read(
        await callDatabase(
          () => gatedBatch(db, statements, "write", gateKeyOf(command.acting), options.keyVerdicts),
          options.timeoutMs,
        ),
      );
    },
  };
}
