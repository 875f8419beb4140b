import type { ResultSet } from "@libsql/client/http";
import { and, eq, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { CONVERTED_LEAD_STATUS } from "../domain/client";
import { LEAD_CREATED } from "../domain/events";
import type {
  LeadIntakeCall,
  LeadIntakeSnapshot,
  LeadIntakeStore,
  NewLeadCommand,
  NewLeadSnapshot,
} from "../domain/lead-intake";
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
  selectEventsToAnnounce,
  subscribes,
} from "./lead-outbox";
import { clients, financialEntities, leads } from "./schema";
import { StoredValueError } from "./stored-values";

/** The columns a new lead is written with, and the member of its item each comes from (JSON members as JSON). */
const PROFILE_COLUMNS = [
  ["image", "image", "text"],
  ["name", "name", "text"],
  ["lastname", "lastname", "text"],
  ["business_name", "businessName", "text"],
  ["quota", "quota", "text"],
  ["phone", "phone", "text"],
  ["email", "email", "text"],
  ["nit", "nit", "text"],
  ["address", "address", "text"],
  ["history", "history", "json"],
  ["score", "score", "text"],
  ["payment_data", "paymentData", "json"],
  ["apn_token", "apnToken", "text"],
  ["business_entity", "businessEntity", "text"],
  ["additional_data", "additionalData", "json"],
] as const;

/** The `items` parameter: one JSON object per lead, in request order. */
function itemsParameter(commands: readonly NewLeadCommand[]): string {
  return JSON.stringify(
    commands.map((command) => ({
      lead_id: command.leadId,
      external_id: command.externalId,
      digest: command.digest,
      pool: command.pool ? 1 : 0,
      status: command.status,
      nit_key: command.nitKey,
      ...Object.fromEntries(PROFILE_COLUMNS.map(([column, field]) => [column, command.profile[field] ?? null])),
    })),
  );
}

/** A member of an item row (`alias`."v"): text and numbers as SQL values, JSON members as JSON text (NULL for null). */
const member = (row: string, name: string, kind: "text" | "json" = "text") =>
  kind === "json"
    ? sql`nullif(${sql.identifier(row)}."v" -> ${sql.raw(`'${name}'`)}, 'null')`
    : // Parenthesized: `->>` binds no tighter than `||`.
      sql`(${sql.identifier(row)}."v" ->> ${sql.raw(`'${name}'`)})`;

/**
 * The statements of one lead intake call — one lead or a bulk call's, the
 * same statements either way, run once for all the leads over the call's items
 * (`json_each` over one JSON array, in request order). Each decides for
 * itself, so the call is one batch with no reads in between:
 * 1. every lead that may be made is inserted: the entity exists, is active and
 *    is the one every item names; the entity made no lead with the item's
 *    `external_id`; no unconverted lead of the ecosystem holds its NIT key; and
 *    of the items with one NIT key, only the first that passes — so each item is
 *    decided as if the ones before it had run alone;
 * 2. its `lead.created` event: to the entity it is assigned to, or for a pool
 *    lead to every active entity of the ecosystem that subscribes to it;
 * 3. the events' deliveries;
 * 4. the read-backs: the entity, each item's outcome, the events to announce.
 * With an integration key, its row is read by the same batch (`actingAs`).
 *
 * Each item reaches `leads` only by a key that names at most a few rows (its
 * id, its `external_id`, its NIT key), with the items as the outer loop —
 * never a range of the ecosystem or of the pool per item, which made a
 * 500-lead call on 20,000 leads outlast the database deadline
 * (test/db/lead-write-plans.test.ts pins the plans).
 *
 * @example
 * const { statements, read } = leadIntakeStatements(db, call);
 */
export function leadIntakeStatements(db: Database, call: LeadIntakeCall) {
  const around = actingAs(call.acting, { writes: true, scope: LEADS_WRITE_SCOPE });
  const entity = around.entity;
  const items = sql`(select "key" as "ord", "value" as "v" from json_each(${itemsParameter(call.leads)}))`;
  const fe = financialEntities;
  const l = leads;
  const x = alias(leads, "x");

  const candidates = sql`select "item"."ord", "item"."v", ${fe.id} as "fe_id", ${fe.ecosystemId} as "fe_ecosystem_id",
      row_number() over (partition by case when ${member("item", "nit_key")} <> '' then 'nit:' || ${member("item", "nit_key")}
        else 'lead:' || ${member("item", "lead_id")} end order by "item"."ord") as "nit_rank"
    from ${fe} cross join ${items} as "item"
    where ${fe.id} = ${entity} and ${fe.status} = 'active'
      and not exists (select 1 from json_each(${JSON.stringify(call.namedEntityIds)}) where value <> ${fe.id})
      and (${member("item", "external_id")} is null or not exists (select 1 from ${l} as "x"
        where ${x.createdBy} = ${fe.id} and ${x.externalId} = ${member("item", "external_id")}))
      and (${member("item", "nit_key")} = '' or not exists (select 1 from ${l} as "x"
        where ${x.ecosystemId} = ${fe.ecosystemId} and ${x.nitKey} = ${member("item", "nit_key")}
          and ${x.convertedClientId} is null and ${x.status} <> ${CONVERTED_LEAD_STATUS}))`;
  const c = (name: string, kind?: "text" | "json") => member("candidate", name, kind);
  const insertLeads = sql`insert into ${l} ("id", "ecosystem_id", "financial_entity_id", ${sql.raw(
    PROFILE_COLUMNS.map(([column]) => `"${column}"`).join(", "),
  )}, "nit_key", "status", "external_id", "created_by", "create_digest", "version", "created_at", "updated_at")
    select ${c("lead_id")}, "candidate"."fe_ecosystem_id", case when ${c("pool")} = 1 then null else "candidate"."fe_id" end,
      ${sql.join(
        PROFILE_COLUMNS.map(([column, , kind]) => c(column, kind)),
        sql`, `,
      )},
      ${c("nit_key")}, ${c("status")}, ${c("external_id")}, "candidate"."fe_id", ${c("digest")}, 1, ${call.at}, ${call.at}
    from (${candidates}) as "candidate" where "candidate"."nit_rank" = 1 order by "candidate"."ord"`;

  // The leads this call made are the ones with its items' fresh ids. CROSS JOIN keeps the items outside: the
  // planner otherwise starts from the pool (`financial_entity_id is null`, every pool lead) and reads the items per lead.
  const made = sql`${items} as "item" cross join ${l} on ${l.id} = ${member("item", "lead_id")}`;
  const event = (recipient: SQL) =>
    sql`${newEventId(call.eventIdPrefix)}, ${recipient}, ${LEAD_CREATED}, ${leadEventBody(LEAD_CREATED, {
      lead: jsonObjectOf(LEAD_SHAPE),
      financialEntityId: sql`${l.createdBy}`,
      requestId: call.requestId,
      at: call.at,
    })}, ${call.at}`;
  const r = alias(financialEntities, "recipient");
  const insertEvents = sql`insert into "webhook_events" ("id", "financial_entity_id", "type", "payload", "created_at")
    select ${event(sql`${l.financialEntityId}`)} from ${made} where ${l.financialEntityId} is not null
    union all
    select ${event(sql`${r.id}`)} from ${made} cross join ${financialEntities} as "recipient" on ${r.ecosystemId} = ${l.ecosystemId}
    where ${l.financialEntityId} is null and ${r.status} = 'active' and ${subscribes(sql`${r.id}`, LEAD_CREATED)}`;

  const readEntity = sql`select ${fe.id} as id, ${fe.ecosystemId} as ecosystem_id, ${fe.status} as status
    from (select 1) left join ${fe} on ${fe.id} = ${entity}`;

  const created = alias(leads, "created");
  const same = alias(leads, "same");
  const sameClient = alias(clients, "same_client");
  const h = alias(leads, "holder");
  const readItems = db
    .select({
      created: leadColumnsOf(created),
      same: leadColumnsOf(same),
      sameDigest: same.createDigest,
      sameClientEntityId: sameClient.financialEntityId,
      holder: sql<string | null>`(select json_array(${h.id}, ${h.financialEntityId}) from ${leads} as "holder"
        where ${h.ecosystemId} = ${fe.ecosystemId} and ${h.nitKey} = ${member("item", "nit_key")} and ${member("item", "nit_key")} <> ''
          and ${h.convertedClientId} is null and ${h.status} <> ${CONVERTED_LEAD_STATUS} and ${h.id} <> ${member("item", "lead_id")}
        order by +"holder".rowid limit 1)`, // `+`: ordered by leads_ecosystem_idx, the ecosystem would be read per item
    })
    .from(sql`${items} as "item"`)
    .leftJoin(fe, eq(fe.id, entity))
    .leftJoin(created, eq(created.id, member("item", "lead_id")))
    .leftJoin(same, and(eq(same.createdBy, fe.id), eq(same.externalId, member("item", "external_id"))))
    .leftJoin(sameClient, eq(sameClient.id, same.convertedClientId))
    .orderBy(sql`"item"."ord"`)
    .prepare();

  const own: (SQL | { sql: string; params: unknown[] })[] = [
    insertLeads,
    insertEvents,
    insertDeliveriesOfThisCall(call.eventIdPrefix, call.at),
    readEntity,
    readItems.getQuery(),
    selectEventsToAnnounce(call.eventIdPrefix),
  ];
  return {
    statements: [...around.before, ...own, ...around.after].map(toStatement),
    read(results: ResultSet[]): LeadIntakeSnapshot {
      const { apiKey, result } = around.split(results);
      const [, , , entityResult, itemsResult, eventsResult] = result as [...ResultSet[]];
      const entityRow = entityResult!.rows[0];
      type Row = {
        created: LeadView | null;
        same: LeadView | null;
        sameDigest: string | null;
        sameClientEntityId: string | null;
        holder: string | null;
      };
      let rows: Row[];
      try {
        rows = readItems.mapResult(itemsResult!, true) as Row[];
      } catch {
        // A decoding error quotes the value (JSON.parse does): neither it nor its cause may reach a log.
        throw new StoredValueError("a stored value read by the lead intake could not be decoded");
      }
      const found =
        entityRow?.id == null
          ? null
          : { id: String(entityRow.id), ecosystemId: String(entityRow.ecosystem_id), status: String(entityRow.status) };
      return {
        ...(apiKey === undefined ? {} : { apiKey }),
        entity: found,
        items: rows.map((row): NewLeadSnapshot => {
          const holder = row.holder === null ? null : (JSON.parse(row.holder) as [string, string | null]);
          return {
            created: row.created,
            sameExternalId:
              row.same === null || found === null
                ? null
                : {
                    lookup: { lead: row.same, entity: found, convertedClientEntityId: row.sameClientEntityId },
                    digest: row.sameDigest,
                  },
            nitHolder: holder === null ? null : { id: holder[0], financialEntityId: holder[1] },
          };
        }),
        eventIds: eventsResult!.rows.map((row) => String(row.id)),
      };
    },
  };
}

export interface LeadIntakeStoreOptions {
  /** How long one call may take before it is reported as unavailable. */
  timeoutMs: number;
  /** What this isolate learned about keys: a refused key is never looked up again, and a known one waits for the lock. */
  keyVerdicts?: KeyVerdicts;
}

/**
 * The {@link LeadIntakeStore} over libSQL: one `batch` — one request to the
 * database — per call, whatever the number of leads.
 *
 * @example
 * const snapshot = await createLeadIntakeStore(db, { timeoutMs: 5_000 }).createLeads(call);
 */
export function createLeadIntakeStore(db: Database, options: LeadIntakeStoreOptions): LeadIntakeStore {
  return {
    async createLeads(call) {
      const { statements, read } = leadIntakeStatements(db, call);
      // "write" opens with BEGIN IMMEDIATE: simultaneous calls queue, and each sees what the ones before it wrote.
      // A key goes through the gate first: one that fails it never takes the write lock (key-gate.ts).
      return read(
        await callDatabase(
          () => gatedBatch(db, statements, "write", gateKeyOf(call.acting), options.keyVerdicts),
          options.timeoutMs,
        ),
      );
    },
  };
}
