import { and, eq, type SQL, sql } from "drizzle-orm";
import { CONVERTED_LEAD_STATUS } from "../domain/client";
import { LEAD_ASSIGNED, LEAD_UNASSIGNED } from "../domain/events";
import type { AssignmentCommand, AssignmentSnapshot, AssignmentStore } from "../domain/lead-assignment";
import type { LeadView } from "../domain/read-lead";
import { LEADS_WRITE_SCOPE } from "../domain/scopes";
import { actingAs } from "./acting-as";
import { type Database, toStatement } from "./client";
import { leadColumns } from "./columns";
import { callDatabase } from "./errors";
import { gatedBatch, gateKeyOf, type KeyVerdicts } from "./key-gate";
import { eventsToSend, leadEventStatements } from "./lead-events";
import { clients, financialEntities, leads, webhookEvents } from "./schema";
import { StoredValueError } from "./stored-values";

export interface AssignmentStoreOptions {
  /** How long one attempt may take before it is reported as unavailable. */
  timeoutMs: number;
  /** What this isolate learned about keys: a refused key is never looked up again, and a known one waits for the lock. */
  keyVerdicts?: KeyVerdicts;
}

const ev = webhookEvents;
const fe = financialEntities;

/**
 * The statements of one assign or unassign attempt, each deciding for itself,
 * so the attempt is one batch with no reads in between:
 * 1. the attempt's event, written only when the lead may change — this is the
 *    decision, taken under the write lock, so of any number of simultaneous
 *    attempts exactly one finds the lead still in the pool (or still held);
 * 2. the lead changed, when that event exists;
 * 3. the event's body and deliveries (see {@link leadEventStatements});
 * 4. the read-back the domain decides from.
 * For an integration key, `entity` is NULL unless the key is live and carries
 * `leads:write`, so every statement acts on nothing otherwise.
 */
function assignmentBatch(db: Database, command: AssignmentCommand, entity: SQL) {
  const { action, leadId, eventId, requestId } = command;
  const { at } = command.as;
  const unconverted = and(sql`${leads.convertedClientId} is null`, sql`${leads.status} <> ${CONVERTED_LEAD_STATUS}`);
  const mayChange =
    action === "assign"
      ? sql`${leads.financialEntityId} is null and ${fe.status} = 'active'`
      : sql`${leads.financialEntityId} = ${fe.id}`;
  const decide = sql`insert into ${ev} ("id", "financial_entity_id", "type", "payload", "created_at")
    select ${eventId}, ${fe.id}, ${action === "assign" ? LEAD_ASSIGNED : LEAD_UNASSIGNED}, '{}', ${at}
    from ${leads} join ${fe} on ${fe.id} = ${entity} and ${fe.ecosystemId} = ${leads.ecosystemId}
    where ${leads.id} = ${leadId} and ${unconverted} and ${mayChange}`;
  const decided = sql`exists (select 1 from ${ev} where ${ev.id} = ${eventId})`;
  const change = sql`update ${leads} set "financial_entity_id" = ${action === "assign" ? sql`(select ${ev.financialEntityId} from ${ev} where ${ev.id} = ${eventId})` : sql`null`}
    where ${leads.id} = ${leadId} and ${decided}`;
  const readBack = db
    .select({
      entityId: fe.id,
      entityEcosystemId: fe.ecosystemId,
      entityStatus: fe.status,
      lead: leadColumns,
      convertedClientEntityId: clients.financialEntityId,
      changed: sql<number>`${decided}`,
      eventsToSend: eventsToSend(eventId),
    })
    .from(sql`(select 1) as "attempt"`)
    .leftJoin(fe, sql`${fe.id} = ${entity}`)
    // Nothing of the lead is read for a key that may not act.
    .leftJoin(leads, and(eq(leads.id, leadId), sql`${entity} is not null`))
    .leftJoin(clients, eq(clients.id, leads.convertedClientId))
    .prepare();
  const statements: SQL[] = [
    decide,
    change,
    ...leadEventStatements({ eventId, leadId, at, requestId, announceToPool: action === "unassign" }),
  ];
  return { statements, readBack };
}

type ReadBackRow = {
  entityId: string | null;
  entityEcosystemId: string | null;
  entityStatus: string | null;
  lead: LeadView | null;
  convertedClientEntityId: string | null;
  changed: number;
  eventsToSend: string;
};

/**
 * The {@link AssignmentStore} over libSQL: one `batch` per attempt, which over
 * HTTP is one request to the database.
 *
 * @example
 * const store = createAssignmentStore(db, { timeoutMs: 5_000 });
 * const snapshot = await store.change({ action: "assign", leadId, as: { caller, at }, requestId, eventId });
 */
export function createAssignmentStore(db: Database, options: AssignmentStoreOptions): AssignmentStore {
  return {
    async change(command) {
      const around = actingAs(command.as, { writes: true, scope: LEADS_WRITE_SCOPE });
      const { statements, readBack } = assignmentBatch(db, command, around.entity);
      const batch = [...around.before, ...statements, readBack.getQuery(), ...around.after].map(toStatement);
      // "write" opens with BEGIN IMMEDIATE: the attempt holds the write lock from its first read.
      const results = await callDatabase(
        () => gatedBatch(db, batch, "write", gateKeyOf(command.as), options.keyVerdicts),
        options.timeoutMs,
      );
      const { apiKey, result } = around.split(results);
      let row: ReadBackRow;
      try {
        row = (readBack.mapResult(result.at(-1)!, true) as ReadBackRow[])[0]!;
      } catch {
        // A decoding error quotes the value (JSON.parse does): neither it nor its cause may reach a log.
        throw new StoredValueError("a stored value read by the assignment could not be decoded");
      }
      const snapshot: AssignmentSnapshot = {
        entity:
          row.entityId === null
            ? null
            : { id: row.entityId, ecosystemId: row.entityEcosystemId!, status: row.entityStatus! },
        lead: row.lead,
        convertedClientEntityId: row.convertedClientEntityId,
        changed: Number(row.changed) === 1,
        eventsToSend: (JSON.parse(row.eventsToSend) as (string | null)[]).filter((id): id is string => id !== null),
      };
      return command.as.caller.kind === "key" ? { ...snapshot, apiKey } : snapshot;
    },
  };
}
