import { type SQL, sql } from "drizzle-orm";
import { epochMs } from "./outbox";
import { webhookDeliveries, webhookEndpoints, webhookEvents } from "./schema";

// The outbox statements of the lead.* events. A call's events share the first
// 19 characters of their ids (a fresh UUID's, one per call; the rest is random,
// made by the database): that prefix is how the call's later statements find
// the events it wrote, by a range of the events' unique index.

/**
 * A new event id, UUID-shaped, that starts with the call's prefix.
 *
 * @example
 * sql`insert into webhook_events (id, …) select ${newEventId(prefix)}, …`
 */
export const newEventId = (prefix: unknown): SQL =>
  sql`${prefix} || substr('89ab', 1 + (random() & 3), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))`;

/** The events whose id starts with `prefix`: this call's. */
export const ofThisCall = (prefix: unknown): SQL =>
  sql`${webhookEvents.id} >= ${prefix} and ${webhookEvents.id} < ${prefix} || 'g'`;

/**
 * Whether `entityId` has an endpoint that would get an event of `type`: enabled,
 * not deleted, and subscribed to it.
 */
export function subscribes(entityId: SQL, type: string): SQL {
  const ep = webhookEndpoints;
  return sql`exists (select 1 from ${ep} where ${ep.financialEntityId} = ${entityId} and ${ep.status} = 'enabled'
    and ${ep.deletedAt} is null and exists (select 1 from json_each(${ep.eventTypes}) where value = ${type}))`;
}

/**
 * An event's body, built in SQL: `{ type, timestamp, data: { lead, financial_entity_id, request_id, …extra } }`.
 * `lead` is JSON (see `leadJsonOf`), `extra` pairs of `key, value` for `json_object`.
 */
export function leadEventBody(
  type: string,
  parts: { lead: SQL; financialEntityId: SQL; requestId: unknown; at: unknown; extra?: SQL },
): SQL {
  const extra = parts.extra ? sql`, ${parts.extra}` : sql``;
  return sql`json_object('type', ${type}, 'timestamp', ${parts.at}, 'data', json_object('lead', ${parts.lead},
    'financial_entity_id', ${parts.financialEntityId}, 'request_id', ${parts.requestId}${extra}))`;
}

/** One pending delivery of each of this call's events to every endpoint of its entity that subscribes to its type. */
export function insertDeliveriesOfThisCall(prefix: unknown, at: unknown): SQL {
  const ep = webhookEndpoints;
  const ev = webhookEvents;
  return sql`insert into ${webhookDeliveries} ("id", "event_id", "endpoint_id", "status", "attempts", "next_attempt_at", "created_at")
    select lower(hex(randomblob(16))), ${ev.id}, ${ep.id}, 'pending', 0, ${epochMs(at)}, ${at}
    from ${ev} join ${ep} on ${ep.financialEntityId} = ${ev.financialEntityId}
    where ${ofThisCall(prefix)} and ${ep.status} = 'enabled' and ${ep.deletedAt} is null
      and exists (select 1 from json_each(${ep.eventTypes}) where value = ${ev.type})`;
}

/** The ids of this call's events that have deliveries to send: what the runtime's webhook driver is handed. */
export function selectEventsToAnnounce(prefix: unknown): SQL {
  const ev = webhookEvents;
  return sql`select ${ev.id} as id from ${ev} where ${ofThisCall(prefix)}
    and exists (select 1 from ${webhookDeliveries} where ${webhookDeliveries.eventId} = ${ev.id})`;
}
