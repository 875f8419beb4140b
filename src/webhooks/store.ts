import type { ResultSet, Row } from "@libsql/client/http";
import { type SQL, sql } from "drizzle-orm";
import { type Acted, actingAs } from "../db/acting-as";
import { type Database, toStatement } from "../db/client";
import { callDatabase } from "../db/errors";
import { gatedBatch, gateKeyOf, type KeyVerdicts } from "../db/key-gate";
import { financialEntities, webhookAttempts, webhookDeliveries, webhookEndpoints, webhookEvents } from "../db/schema";
import type { Acting } from "../domain/caller";
import { MAX_ENDPOINTS_PER_ENTITY } from "../domain/events";
import { EVENTS_READ_SCOPE, WEBHOOKS_SCOPE } from "../domain/scopes";

// The webhook tables' queries. Every operation is one batch (one request to the
// database) whose statements decide for themselves, like the conversion's. The
// operations of the API act for a credential: with an integration key, the
// key's row is read by the same batch (see db/acting-as.ts).

const ep = webhookEndpoints;
const ev = webhookEvents;
const dl = webhookDeliveries;
const at = webhookAttempts;

export type EndpointStatus = "enabled" | "disabled";

export interface EndpointRow {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  status: EndpointStatus;
  disabledReason: string | null;
  createdAt: string;
}

const endpointColumns = sql`${ep.id} as id, ${ep.url} as url, ${ep.description} as description, ${ep.eventTypes} as event_types,
  ${ep.status} as status, ${ep.disabledReason} as disabled_reason, ${ep.createdAt} as created_at`;

const toEndpoint = (row: Row): EndpointRow => ({
  id: String(row.id),
  url: String(row.url),
  description: row.description === null ? null : String(row.description),
  eventTypes: JSON.parse(String(row.event_types)) as string[],
  status: row.status as EndpointStatus,
  disabledReason: row.disabled_reason === null ? null : String(row.disabled_reason),
  createdAt: String(row.created_at),
});

const liveEndpoint = (entity: SQL, id: string) =>
  sql`${ep.id} = ${id} and ${ep.financialEntityId} = ${entity} and ${ep.deletedAt} is null`;

export interface DueDelivery {
  deliveryId: string;
  eventId: string;
  endpointId: string;
  /** Attempts made before this one. */
  attempts: number;
  payload: string;
  url: string;
  secret: string;
  previousSecret: string | null;
  previousSecretUntil: number | null;
  failingSince: number | null;
}

export interface AttemptRecord {
  delivery: DueDelivery;
  lockId: string;
  statusCode: number | null;
  error: string | null;
  /** `succeeded`, `retrying` or `failed`. */
  outcome: "succeeded" | "retrying" | "failed";
  nextAttemptAt: number | null;
  /** Set when this attempt disables the endpoint. */
  disableEndpoint?: string;
  now: number;
}

/**
 * At most this many deliveries of one entity are in flight at once, across
 * runners: an entity whose receivers hang holds this many sends, never everyone's.
 */
export const MAX_IN_FLIGHT_PER_ENTITY = 4;

/** Which due deliveries a runner claims: those of the named events and deliveries (queue messages), or any. */
export type ClaimFilter = { eventIds: readonly string[]; deliveryIds: readonly string[] } | { any: true };

/** What a claim took, and which of the named events and deliveries still have due deliveries it left. */
export interface Claimed {
  deliveries: DueDelivery[];
  left: { eventIds: Set<string>; deliveryIds: Set<string> };
}

/**
 * The webhook tables, one batch per operation.
 *
 * @example
 * const store = createWebhookStore(db, { timeoutMs: 5_000 });
 * const { apiKey, result: endpoints } = await store.listEndpoints({ caller, at });
 */
export function createWebhookStore(
  db: Database,
  { timeoutMs, keyVerdicts }: { timeoutMs: number; keyVerdicts?: KeyVerdicts },
) {
  const batch = (queries: SQL[]): Promise<ResultSet[]> =>
    callDatabase(() => db.$client.batch(queries.map(toStatement), "write"), timeoutMs);
  const read = (queries: SQL[]): Promise<ResultSet[]> =>
    callDatabase(() => db.$client.batch(queries.map(toStatement), "read"), timeoutMs);

  /** Runs a request's statements as one batch, inside the credential's own (see {@link actingAs}). */
  const acting = async (
    who: Acting,
    mode: "read" | "write",
    queries: (entity: SQL) => SQL[],
    scope: string = WEBHOOKS_SCOPE,
  ): Promise<Acted<ResultSet[]>> => {
    const around = actingAs(who, { writes: mode === "write", scope });
    const statements = [...around.before, ...queries(around.entity), ...around.after].map(toStatement);
    return around.split(
      await callDatabase(() => gatedBatch(db, statements, mode, gateKeyOf(who), keyVerdicts), timeoutMs),
    );
  };
  const then = <T>({ apiKey, result }: Acted<ResultSet[]>, map: (results: ResultSet[]) => T): Acted<T> => ({
    apiKey,
    result: map(result),
  });

  return {
    /**
     * Registers an endpoint, unless the entity already has
     * {@link MAX_ENDPOINTS_PER_ENTITY} — decided by the insert itself, so two
     * concurrent registrations cannot both take the last place.
     */
    async createEndpoint(
      who: Acting,
      input: {
        id: string;
        url: string;
        description: string | null;
        eventTypes: string[];
        storedSecret: string;
        at: string;
      },
    ): Promise<Acted<{ kind: "created"; endpoint: EndpointRow } | { kind: "limit_reached" } | { kind: "no_entity" }>> {
      const done = await acting(who, "write", (entity) => [
        sql`insert into ${ep} ("id", "financial_entity_id", "url", "description", "event_types", "status", "secret", "created_at")
          select ${input.id}, ${financialEntities.id}, ${input.url}, ${input.description}, ${JSON.stringify(input.eventTypes)}, 'enabled', ${input.storedSecret}, ${input.at}
          from ${financialEntities} where ${financialEntities.id} = ${entity}
            and (select count(*) from ${ep} where ${ep.financialEntityId} = ${entity} and ${ep.deletedAt} is null) < ${MAX_ENDPOINTS_PER_ENTITY}`,
        sql`select ${endpointColumns} from ${ep} where ${liveEndpoint(entity, input.id)}`,
        sql`select 1 from ${financialEntities} where ${financialEntities.id} = ${entity}`,
      ]);
      return then(done, ([, rows, known]) => {
        const row = rows!.rows[0];
        if (row) return { kind: "created", endpoint: toEndpoint(row) };
        return known!.rows.length > 0 ? { kind: "limit_reached" } : { kind: "no_entity" };
      });
    },

    async listEndpoints(who: Acting): Promise<Acted<EndpointRow[]>> {
      const done = await acting(who, "read", (entity) => [
        sql`select ${endpointColumns} from ${ep} where ${ep.financialEntityId} = ${entity} and ${ep.deletedAt} is null order by ${ep.createdAt}, ${ep.id}`,
      ]);
      return then(done, ([rows]) => rows!.rows.map(toEndpoint));
    },

    async getEndpoint(who: Acting, id: string): Promise<Acted<EndpointRow | null>> {
      const done = await acting(who, "read", (entity) => [
        sql`select ${endpointColumns} from ${ep} where ${liveEndpoint(entity, id)}`,
      ]);
      return then(done, ([rows]) => {
        const row = rows!.rows[0];
        return row ? toEndpoint(row) : null;
      });
    },

    /** Applies a change; re-enabling clears the reason and the failure streak, so pending deliveries resume. */
    async updateEndpoint(
      who: Acting,
      id: string,
      change: { url?: string; description?: string | null; eventTypes?: string[]; status?: EndpointStatus },
    ): Promise<Acted<EndpointRow | null>> {
      const sets: SQL[] = [];
      if (change.url !== undefined) sets.push(sql`"url" = ${change.url}`);
      if (change.description !== undefined) sets.push(sql`"description" = ${change.description}`);
      if (change.eventTypes !== undefined) sets.push(sql`"event_types" = ${JSON.stringify(change.eventTypes)}`);
      if (change.status === "enabled") {
        sets.push(sql`"status" = 'enabled', "disabled_reason" = null, "failing_since" = null`);
      } else if (change.status === "disabled") {
        sets.push(sql`"status" = 'disabled', "disabled_reason" = 'disabled by the financial entity'`);
      }
      const done = await acting(who, "write", (entity) => [
        ...(sets.length > 0
          ? [sql`update ${ep} set ${sql.join(sets, sql`, `)} where ${liveEndpoint(entity, id)}`]
          : []),
        sql`select ${endpointColumns} from ${ep} where ${liveEndpoint(entity, id)}`,
      ]);
      return then(done, (results) => {
        const row = results.at(-1)!.rows[0];
        return row ? toEndpoint(row) : null;
      });
    },

    /** Deletes an endpoint and cancels what was still to be delivered to it; false when there was none. */
    async deleteEndpoint(who: Acting, id: string, deletedAt: string): Promise<Acted<boolean>> {
      const done = await acting(who, "write", (entity) => [
        sql`update ${ep} set "deleted_at" = ${deletedAt}, "status" = 'disabled', "disabled_reason" = 'deleted' where ${liveEndpoint(entity, id)}`,
        sql`update ${dl} set "status" = 'canceled', "locked_until" = null, "lock_id" = null
          where ${dl.endpointId} = ${id} and ${dl.status} = 'pending'
            and exists (select 1 from ${ep} where ${ep.id} = ${id} and ${ep.financialEntityId} = ${entity})`,
      ]);
      return then(done, ([deleted]) => deleted!.rowsAffected === 1);
    },

    /** Replaces the secret; the old one keeps signing until `previousUntil` (epoch ms). */
    async rotateSecret(who: Acting, id: string, storedSecret: string, previousUntil: number): Promise<Acted<boolean>> {
      const done = await acting(who, "write", (entity) => [
        sql`update ${ep} set "previous_secret" = "secret", "previous_secret_until" = ${previousUntil}, "secret" = ${storedSecret}
          where ${liveEndpoint(entity, id)}`,
      ]);
      return then(done, ([rotated]) => rotated!.rowsAffected === 1);
    },

    /** A page of the entity's events after `after` (oldest first); null when `after` is not one of its events. */
    async eventsAfter(who: Acting, after: string | undefined, limit: number) {
      const done = await acting(
        who,
        "read",
        (entity) => {
          const start =
            after === undefined
              ? sql`0`
              : sql`(select ${ev.seq} from ${ev} where ${ev.id} = ${after} and ${ev.financialEntityId} = ${entity})`;
          return [
            sql`select ${start} as seq`,
            sql`select ${ev.id} as id, ${ev.type} as type, ${ev.payload} as payload from ${ev}
            where ${ev.financialEntityId} = ${entity} and ${ev.seq} > coalesce(${start}, 0) order by ${ev.seq} limit ${limit + 1}`,
          ];
        },
        EVENTS_READ_SCOPE,
      );
      return then(done, ([known, rows]) => {
        if (known!.rows[0]?.seq === null) return null;
        const events = rows!.rows.map((row) => ({
          id: String(row.id),
          type: String(row.type),
          payload: String(row.payload),
        }));
        return { events: events.slice(0, limit), more: events.length > limit };
      });
    },

    /** Every attempt made for an event of the entity, oldest first; null when the event is not the entity's. */
    async attemptsFor(who: Acting, eventId: string) {
      const done = await acting(
        who,
        "read",
        (entity) => [
          sql`select 1 as found from ${ev} where ${ev.id} = ${eventId} and ${ev.financialEntityId} = ${entity}`,
          sql`select ${at.endpointId} as endpoint_id, ${at.attempt} as attempt, ${at.statusCode} as status_code, ${at.error} as error,
            ${at.outcome} as outcome, ${at.at} as at
          from ${at} join ${ev} on ${ev.id} = ${at.eventId}
          where ${at.eventId} = ${eventId} and ${ev.financialEntityId} = ${entity} order by ${at.at}, ${at.attempt}`,
        ],
        EVENTS_READ_SCOPE,
      );
      return then(done, ([found, rows]) => {
        if (found!.rows.length === 0) return null;
        return rows!.rows.map((row) => ({
          endpointId: String(row.endpoint_id),
          attempt: Number(row.attempt),
          statusCode: row.status_code === null ? null : Number(row.status_code),
          error: row.error === null ? null : String(row.error),
          outcome: String(row.outcome),
          at: String(row.at),
        }));
      });
    },

    /**
     * New deliveries of an event: to one endpoint of the entity, or to every
     * enabled one — except an endpoint that still has a pending delivery of
     * the event, which gets nothing more. Reports whether the event and the
     * endpoint were found, and how many deliveries were added.
     */
    async redeliver(who: Acting, eventId: string, endpointId: string | undefined, now: number, createdAt: string) {
      const which = endpointId === undefined ? sql`${ep.status} = 'enabled'` : sql`${ep.id} = ${endpointId}`;
      const done = await acting(who, "write", (entity) => [
        sql`insert into ${dl} ("id", "event_id", "endpoint_id", "status", "attempts", "next_attempt_at", "created_at")
          select lower(hex(randomblob(16))), ${ev.id}, ${ep.id}, 'pending', 0, ${now}, ${createdAt}
          from ${ev} join ${ep} on ${ep.financialEntityId} = ${ev.financialEntityId}
          where ${ev.id} = ${eventId} and ${ev.financialEntityId} = ${entity} and ${ep.deletedAt} is null and ${which}
            and not exists (select 1 from ${dl} where ${dl.eventId} = ${ev.id} and ${dl.endpointId} = ${ep.id} and ${dl.status} = 'pending')`,
        sql`select 1 from ${ev} where ${ev.id} = ${eventId} and ${ev.financialEntityId} = ${entity}`,
        endpointId === undefined ? sql`select 1` : sql`select 1 from ${ep} where ${liveEndpoint(entity, endpointId)}`,
      ]);
      return then(done, ([inserted, event, endpoint]) => ({
        eventFound: event!.rows.length > 0,
        endpointFound: endpoint!.rows.length > 0,
        deliveries: inserted!.rowsAffected,
      }));
    },

    /**
     * Takes the due deliveries that match `filter` and that nobody holds, for
     * `leaseMs`; returns them with what sending needs. Deliveries of disabled
     * or deleted endpoints wait.
     */
    async claim(
      filter: ClaimFilter,
      {
        now,
        leaseMs,
        limit,
        lockId,
        perEntity = MAX_IN_FLIGHT_PER_ENTITY,
      }: { now: number; leaseMs: number; limit: number; lockId: string; perEntity?: number },
    ): Promise<Claimed> {
      const named = (ids: readonly string[], column: SQL) =>
        ids.length === 0
          ? sql`0`
          : sql`${column} in (${sql.join(
              ids.map((id) => sql`${id}`),
              sql`, `,
            )})`;
      const which =
        "any" in filter
          ? sql``
          : sql`and (${named(filter.eventIds, sql`d."event_id"`)} or ${named(filter.deliveryIds, sql`d."id"`)})`;
      const free = sql`d."status" = 'pending' and d."next_attempt_at" <= ${now} and (d."locked_until" is null or d."locked_until" < ${now})
              and e."status" = 'enabled' and e."deleted_at" is null ${which}`;
      const [, rows, left] = await batch([
        // Fair across entities: every entity's first before anyone's second, and a sweep ({ any }) gives each entity
        // at most `perEntity` deliveries in flight (those held by any runner count). A claim of named events and
        // deliveries (the Worker's queue messages) is bounded by `limit` alone: what it leaves goes back on the queue.
        sql`update ${dl} set "locked_until" = ${now + leaseMs}, "lock_id" = ${lockId} where "id" in (
          select "id" from (
            select d."id" as "id", d."next_attempt_at" as "due",
              row_number() over (partition by e."financial_entity_id" order by d."next_attempt_at") as "turn",
              (select count(*) from ${dl} h join ${ep} he on he."id" = h."endpoint_id"
                where he."financial_entity_id" = e."financial_entity_id" and h."status" = 'pending'
                  and h."locked_until" >= ${now}) as "busy"
            from ${dl} d join ${ep} e on e."id" = d."endpoint_id"
            where ${free}
          ) where "turn" + "busy" <= ${"any" in filter ? perEntity : Number.MAX_SAFE_INTEGER}
          order by "turn", "due" limit ${limit})`,
        sql`select d."id" as delivery_id, d."event_id" as event_id, d."endpoint_id" as endpoint_id, d."attempts" as attempts,
            v."payload" as payload, e."url" as url, e."secret" as secret, e."previous_secret" as previous_secret,
            e."previous_secret_until" as previous_secret_until, e."failing_since" as failing_since
          from ${dl} d join ${ev} v on v."id" = d."event_id" join ${ep} e on e."id" = d."endpoint_id"
          where d."lock_id" = ${lockId}`,
        // What the claim left of the named events and deliveries (its limit was reached): their messages go back on the queue.
        "any" in filter
          ? sql`select 1 where 0`
          : sql`select d."event_id" as event_id, d."id" as id from ${dl} d join ${ep} e on e."id" = d."endpoint_id" where ${free}`,
      ]);
      const deliveries = rows!.rows.map(
        (row): DueDelivery => ({
          deliveryId: String(row.delivery_id),
          eventId: String(row.event_id),
          endpointId: String(row.endpoint_id),
          attempts: Number(row.attempts),
          payload: String(row.payload),
          url: String(row.url),
          secret: String(row.secret),
          previousSecret: row.previous_secret === null ? null : String(row.previous_secret),
          previousSecretUntil: row.previous_secret_until === null ? null : Number(row.previous_secret_until),
          failingSince: row.failing_since === null ? null : Number(row.failing_since),
        }),
      );
      return {
        deliveries,
        left: {
          eventIds: new Set(left!.rows.map((row) => String(row.event_id))),
          deliveryIds: new Set(left!.rows.map((row) => String(row.id))),
        },
      };
    },

    /** Gives a claimed delivery back unsent (too little of its lease was left to send it): it is due again at once. */
    async release(deliveryId: string, lockId: string): Promise<void> {
      await batch([
        sql`update ${dl} set "locked_until" = null, "lock_id" = null where "id" = ${deliveryId} and "lock_id" = ${lockId}`,
      ]);
    },

    /** Records an attempt, releases the delivery and updates the endpoint's health — one batch. */
    async record(r: AttemptRecord): Promise<void> {
      const d = r.delivery;
      const status = r.outcome === "retrying" ? "pending" : r.outcome;
      const succeeded = r.outcome === "succeeded";
      await batch([
        sql`update ${dl} set "attempts" = "attempts" + 1, "status" = ${status}, "next_attempt_at" = coalesce(${r.nextAttemptAt}, "next_attempt_at"),
            "locked_until" = null, "lock_id" = null
          where "id" = ${d.deliveryId} and "lock_id" = ${r.lockId} and "status" = 'pending'`,
        sql`insert into ${at} ("id", "delivery_id", "event_id", "endpoint_id", "attempt", "status_code", "error", "outcome", "at")
          values (lower(hex(randomblob(16))), ${d.deliveryId}, ${d.eventId}, ${d.endpointId}, ${d.attempts + 1}, ${r.statusCode}, ${r.error},
            ${r.outcome}, ${new Date(r.now).toISOString()})`,
        succeeded
          ? sql`update ${ep} set "failing_since" = null where "id" = ${d.endpointId}`
          : sql`update ${ep} set "failing_since" = coalesce("failing_since", ${r.now}) where "id" = ${d.endpointId}`,
        r.disableEndpoint
          ? sql`update ${ep} set "status" = 'disabled', "disabled_reason" = ${r.disableEndpoint} where "id" = ${d.endpointId} and "deleted_at" is null`
          : sql`select 1`,
      ]);
    },

    /** Ids of deliveries due for at least `graceMs` that nobody holds: what the sweep re-enqueues. */
    async overdue({
      now,
      graceMs,
      limit,
      afterId = "",
    }: {
      now: number;
      graceMs: number;
      limit: number;
      afterId?: string;
    }): Promise<string[]> {
      const [rows] = await read([
        sql`select d."id" as id from ${dl} d join ${ep} e on e."id" = d."endpoint_id"
          where d."status" = 'pending' and d."next_attempt_at" <= ${now - graceMs} and (d."locked_until" is null or d."locked_until" < ${now})
            and e."status" = 'enabled' and e."deleted_at" is null and d."id" > ${afterId}
          order by d."id" limit ${limit}`,
      ]);
      return rows!.rows.map((row) => String(row.id));
    },
  };
}

export type WebhookStore = ReturnType<typeof createWebhookStore>;
