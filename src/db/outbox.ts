import { sql } from "drizzle-orm";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";
import { LEAD_CONVERTED } from "../domain/events";
import type { BulkItems } from "./bulk-items";
import { clientColumns } from "./read-store";
import { clients, leadConversions, webhookDeliveries, webhookEndpoints, webhookEvents } from "./schema";

const param = (name: "eventId" | "auditId" | "requestId" | "at") => sql.placeholder(name);

/** Epoch milliseconds of an ISO 8601 time, in SQL. */
export const epochMs = (iso: unknown) => sql`cast(round((julianday(${iso}) - 2440587.5) * 86400000) as integer)`;

/**
 * The outbox statements of a conversion batch: the `lead.converted` event and
 * one pending delivery per enabled endpoint of the entity that subscribes to it.
 *
 * Both decide for themselves: the event exists only when the batch's audit
 * record (a fresh id) exists — the attempt converted the lead, into a new
 * client or, with `on_existing_client: "link"`, into an existing one (then the
 * event carries `"linked": true`) — so a replay or a refusal writes nothing, and the
 * deliveries only when that event exists. The body is built in SQL from the
 * client row, so it is written once and every attempt sends the same bytes.
 */
export function buildConversionEventStatements(bulk?: BulkItems) {
  const dialect = new SQLiteAsyncDialect();
  // One lead's event comes from its audit record; a bulk call's, from the audit record of each of its items.
  const eventId = bulk ? bulk.value("eventId") : param("eventId");
  const fromAudit = bulk
    ? sql`join ${bulk.table()} on "item"."audit_id" = ${leadConversions.id}`
    : sql`where ${leadConversions.id} = ${param("auditId")}`;
  const ofThisAttempt = bulk
    ? sql`${webhookEvents.id} in (select "event_id" from ${bulk.table()})`
    : sql`${webhookEvents.id} = ${eventId}`;
  const c = clientColumns;
  // The client as the 200 body shows it: the same checked columns, so values other tools stored come out the same.
  const user = sql`json_object(
    '_id', ${c.id}, 'image', ${c.image}, 'name', ${c.name}, 'lastname', ${c.lastname},
    'business_name', ${c.businessName}, 'quota', ${c.quota}, 'status', ${c.status}, 'phone', ${c.phone},
    'email', ${c.email}, 'nit', ${c.nit}, 'address', ${c.address}, 'history', json(${c.history}),
    'score', ${c.score}, 'payment_data', json(${c.paymentData}), 'apn_token', ${c.apnToken},
    'ecosystem', ${c.ecosystemId}, 'business_entity', ${c.businessEntity}, 'additional_data', json(${c.additionalData}))`;
  const a = leadConversions;
  const insertEvent = sql`insert into ${webhookEvents} ("id", "financial_entity_id", "type", "payload", "created_at")
    select ${eventId}, ${clients.financialEntityId}, ${LEAD_CONVERTED},
      json_object('type', ${LEAD_CONVERTED}, 'timestamp', ${param("at")}, 'data', json_patch(json_object(
        'lead_id', ${a.leadId}, 'financial_entity_id', ${clients.financialEntityId}, 'ecosystem', ${clients.ecosystemId},
        'request_id', ${param("requestId")}, 'converted_at', ${param("at")}, 'user', ${user}),
        case when ${a.linked} then '{"linked":true}' else '{}' end)),
      ${param("at")}
    from ${leadConversions} join ${clients} on ${clients.id} = ${a.clientId} ${fromAudit}`;

  const ep = webhookEndpoints;
  const insertDeliveries = sql`insert into ${webhookDeliveries} ("id", "event_id", "endpoint_id", "status", "attempts", "next_attempt_at", "created_at")
    select lower(hex(randomblob(16))), ${webhookEvents.id}, ${ep.id}, 'pending', 0, ${epochMs(param("at"))}, ${param("at")}
    from ${webhookEvents} join ${webhookEndpoints} on ${ep.financialEntityId} = ${webhookEvents.financialEntityId}
    where ${ofThisAttempt} and ${ep.status} = 'enabled' and ${ep.deletedAt} is null
      and exists (select 1 from json_each(${ep.eventTypes}) where value = ${LEAD_CONVERTED})`;

  return [dialect.sqlToQuery(insertEvent), dialect.sqlToQuery(insertDeliveries)];
}
