import { type SQL, sql } from "drizzle-orm";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import { LEAD_CONVERTED } from "../domain/events";
import type { BulkItems } from "./bulk-items";
import { jsonObjectOf, USER_SHAPE } from "./columns";
import { clients, leadConversions, webhookDeliveries, webhookEndpoints, webhookEvents } from "./schema";

const param = (name: "eventId" | "auditId" | "requestId" | "at") => sql.placeholder(name);
const dialect = new SQLiteAsyncDialect();

/** Epoch milliseconds of an ISO 8601 time, in SQL. */
export const epochMs = (iso: unknown) => sql`cast(round((julianday(${iso}) - 2440587.5) * 86400000) as integer)`;

/**
 * The `lead.converted` event of each audit record `audits` selects: the event
 * exists only when the batch's audit record (a fresh id) exists — the attempt
 * converted the lead, into a new client or, with `on_existing_client: "link"`,
 * into an existing one (then the event carries `"linked": true`) — so a replay
 * or a refusal writes nothing. The body is built in SQL from the client row, so
 * it is written once and every attempt sends the same bytes.
 */
function insertEvent(eventId: SQL | ReturnType<typeof sql.placeholder>, audits: SQL): SQL {
  // The client as the 200 body shows it: the same checked columns, so values other tools stored come out the same.
  const user = jsonObjectOf(USER_SHAPE);
  const a = leadConversions;
  return sql`insert into ${webhookEvents} ("id", "financial_entity_id", "type", "payload", "created_at")
    select ${eventId}, ${clients.financialEntityId}, ${LEAD_CONVERTED},
      json_object('type', ${LEAD_CONVERTED}, 'timestamp', ${param("at")}, 'data', json_patch(json_object(
        'lead_id', ${a.leadId}, 'financial_entity_id', ${clients.financialEntityId}, 'ecosystem', ${clients.ecosystemId},
        'request_id', ${param("requestId")}, 'converted_at', ${param("at")}, 'user', ${user}),
        case when ${a.linked} then '{"linked":true}' else '{}' end)),
      ${param("at")}
    from ${leadConversions} join ${clients} on ${clients.id} = ${a.clientId} ${audits}`;
}

/** One pending delivery per enabled endpoint of the entity that subscribes, for each event `ofThisAttempt` admits. */
function insertDeliveries(ofThisAttempt: SQL): SQL {
  const ep = webhookEndpoints;
  return sql`insert into ${webhookDeliveries} ("id", "event_id", "endpoint_id", "status", "attempts", "next_attempt_at", "created_at")
    select lower(hex(randomblob(16))), ${webhookEvents.id}, ${ep.id}, 'pending', 0, ${epochMs(param("at"))}, ${param("at")}
    from ${webhookEvents} join ${webhookEndpoints} on ${ep.financialEntityId} = ${webhookEvents.financialEntityId}
    where ${ofThisAttempt} and ${ep.status} = 'enabled' and ${ep.deletedAt} is null
      and exists (select 1 from json_each(${ep.eventTypes}) where value = ${LEAD_CONVERTED})`;
}

/**
 * The outbox statements of one lead's conversion batch: its event, from its
 * audit record, and the event's deliveries (only when that event exists).
 *
 * @example
 * [recordConversion.toSQL(), ...conversionEventStatements(), readOutcome.getQuery()]
 */
export function conversionEventStatements() {
  return [
    dialect.sqlToQuery(insertEvent(param("eventId"), sql`where ${leadConversions.id} = ${param("auditId")}`)),
    dialect.sqlToQuery(insertDeliveries(sql`${webhookEvents.id} = ${param("eventId")}`)),
  ];
}

/**
 * The outbox statements of a bulk call's batch: each item's event, from the
 * item's audit record, and those events' deliveries — two statements for every lead.
 *
 * @example
 * [recordConversions.toSQL(), ...bulkConversionEventStatements(bulkItems), readOutcome.getQuery()]
 */
export function bulkConversionEventStatements(items: BulkItems) {
  return [
    dialect.sqlToQuery(
      insertEvent(items.value("eventId"), sql`join ${items.table()} on "item"."audit_id" = ${leadConversions.id}`),
    ),
    dialect.sqlToQuery(insertDeliveries(sql`${webhookEvents.id} in (select "event_id" from ${items.table()})`)),
  ];
}
