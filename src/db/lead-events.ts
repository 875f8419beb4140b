import { type SQL, sql } from "drizzle-orm";
import { jsonObjectOf, LEAD_SHAPE } from "./columns";
import { epochMs } from "./outbox";
import { financialEntities, leads, webhookDeliveries, webhookEndpoints, webhookEvents } from "./schema";

/** The lead row as `GET /leads/{lead_id}` shows it, as a JSON object built in SQL from the same checked columns. */
export const leadJson = (): SQL => jsonObjectOf(LEAD_SHAPE);

/** A new event id in SQL: a version 4 UUID, for events a statement writes for several entities at once. */
const newUuid = sql`lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-'
  || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))`;

const ev = webhookEvents;
const ep = webhookEndpoints;

/** The events one attempt wrote: its own event (always the first), and those written after it in the same transaction. */
export const eventsOfAttempt = (eventId: string) =>
  sql`${ev.seq} >= (select ${ev.seq} from ${ev} where ${ev.id} = ${eventId})`;

const subscribes = (type: SQL) => sql`${ep.status} = 'enabled' and ${ep.deletedAt} is null
  and exists (select 1 from json_each(${ep.eventTypes}) where value = ${type})`;

/**
 * The outbox statements of a lead change, run after the change itself. The
 * change exists exactly when the attempt's event `eventId` does (it is written
 * first, as the decision), so these act only for an attempt that changed the
 * lead:
 * 1. the event's body, built from the lead row as it now stands;
 * 2. with `announceToPool`, a copy of the event (its own id) to every other
 *    active entity of the lead's ecosystem with an endpoint subscribed to it;
 * 3. one pending delivery per enabled endpoint of each recipient that
 *    subscribes to the event's type.
 *
 * @example
 * const statements = leadEventStatements({ eventId, leadId, at, requestId, announceToPool: true });
 */
export function leadEventStatements(attempt: {
  eventId: string;
  leadId: string;
  at: string;
  requestId: string;
  announceToPool: boolean;
}): SQL[] {
  const { eventId, leadId, at, requestId } = attempt;
  const lead = sql`(select ${leadJson()} from ${leads} where ${leads.id} = ${leadId})`;
  const body = sql`update ${ev} set "payload" = json_object('type', ${ev.type}, 'timestamp', ${at}, 'data',
      json_object('lead', json(${lead}), 'financial_entity_id', ${ev.financialEntityId}, 'request_id', ${requestId}))
    where ${ev.id} = ${eventId}`;
  const other = financialEntities;
  const toPool = sql`insert into ${ev} ("id", "financial_entity_id", "type", "payload", "created_at")
    select ${newUuid}, ${other.id}, ${ev.type}, ${ev.payload}, ${ev.createdAt}
    from ${ev} join ${leads} on ${leads.id} = ${leadId}
      join ${other} on ${other.ecosystemId} = ${leads.ecosystemId} and ${other.id} <> ${ev.financialEntityId}
    where ${ev.id} = ${eventId} and ${other.status} = 'active'
      and exists (select 1 from ${ep} where ${ep.financialEntityId} = ${other.id} and ${subscribes(sql`${ev.type}`)})
    order by ${other.id}`;
  const d = webhookDeliveries;
  const deliveries = sql`insert into ${d} ("id", "event_id", "endpoint_id", "status", "attempts", "next_attempt_at", "created_at")
    select lower(hex(randomblob(16))), ${ev.id}, ${ep.id}, 'pending', 0, ${epochMs(at)}, ${at}
    from ${ev} join ${ep} on ${ep.financialEntityId} = ${ev.financialEntityId}
    where ${eventsOfAttempt(eventId)} and ${subscribes(sql`${ev.type}`)}`;
  return [body, ...(attempt.announceToPool ? [toPool] : []), deliveries];
}

/** The ids of the attempt's events that have deliveries to send, as a JSON array (for the read-back). */
export const eventsToSend = (eventId: string) =>
  sql<string>`(select json_group_array(distinct ${webhookDeliveries.eventId}) from ${webhookDeliveries}
    join ${ev} on ${ev.id} = ${webhookDeliveries.eventId} where ${eventsOfAttempt(eventId)})`;
