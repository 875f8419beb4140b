import type { ResultSet } from "@libsql/client/http";
import { eq, type SQL, sql } from "drizzle-orm";
import type { ApiKeySnapshot } from "../domain/api-key";
import type { Client } from "../domain/client";
import type { ConversionSnapshot } from "../domain/conversion";
import type { Database } from "./client";
import { clientColumns } from "./columns";
import type { CommandValue, ConversionRules } from "./conversion-rules";
import { apiKeys, clients, financialEntities, leadConversions, leads, webhookDeliveries } from "./schema";
import { StoredValueError } from "./stored-values";

/**
 * The read-back that ends a conversion batch: one row per lead — from
 * `attempts`, the single attempt's one-row table or a bulk call's items — with
 * what the database looks like after the attempt and the deliveries its event
 * got. The bulk builder orders it by the items' `ord`.
 *
 * @example
 * outcomeQuery(db, rules, boundValue, sql`(select 1) as "attempt"`).prepare()
 */
export function outcomeQuery(db: Database, rules: ConversionRules, value: CommandValue, attempts: SQL) {
  return db
    .select({
      entityId: financialEntities.id,
      entityEcosystemId: financialEntities.ecosystemId,
      entityStatus: financialEntities.status,
      leadId: leads.id,
      leadEcosystemId: leads.ecosystemId,
      leadEntityId: leads.financialEntityId,
      leadStatus: leads.status,
      leadLinked: sql<number>`${clients.leadId} is not ${leads.id}`,
      conversionAuditId: sql<
        string | null
      >`(select ${leadConversions.id} from ${leadConversions} where ${leadConversions.leadId} = ${leads.id})`,
      client: clientColumns,
      nitConflictClientId: sql<string | null>`(${rules.clientWithLeadNit})`,
      apiKey: {
        id: apiKeys.id,
        financialEntityId: apiKeys.financialEntityId,
        scopes: apiKeys.scopes,
        expiresAt: apiKeys.expiresAt,
        revokedAt: apiKeys.revokedAt,
      },
      deliveries: sql<number>`(select count(*) from ${webhookDeliveries} where ${webhookDeliveries.eventId} = ${value("eventId")})`,
    })
    .from(attempts)
    .leftJoin(financialEntities, eq(financialEntities.id, value("financialEntityId")))
    .leftJoin(leads, eq(leads.id, value("leadId")))
    .leftJoin(clients, eq(clients.id, leads.convertedClientId))
    .leftJoin(apiKeys, eq(apiKeys.keyHash, value("keyHash")))
    .$dynamic();
}

type OutcomeRow = {
  entityId: string | null;
  entityEcosystemId: string | null;
  entityStatus: string | null;
  leadId: string | null;
  leadEcosystemId: string | null;
  leadEntityId: string | null;
  leadStatus: string | null;
  leadLinked: number | null;
  conversionAuditId: string | null;
  client: Client | null;
  nitConflictClientId: string | null;
  apiKey: ApiKeySnapshot | null;
  deliveries: number;
};

function toSnapshot(row: OutcomeRow): ConversionSnapshot {
  return {
    financialEntity:
      row.entityId === null
        ? null
        : { id: row.entityId, ecosystemId: row.entityEcosystemId!, status: row.entityStatus! },
    lead:
      row.leadId === null
        ? null
        : {
            id: row.leadId,
            ecosystemId: row.leadEcosystemId!,
            financialEntityId: row.leadEntityId,
            status: row.leadStatus!,
            client: row.client,
            linked: row.client !== null && row.leadLinked === 1,
            conversionAuditId: row.conversionAuditId,
          },
    nitConflictClientId: row.nitConflictClientId,
    apiKey: row.apiKey,
    deliveriesToSend: Number(row.deliveries),
  };
}

/** The prepared read-back, as the builders hand it here. */
export interface PreparedOutcome {
  mapResult(result: unknown, isFromBatch?: boolean): unknown;
}

/**
 * Each lead's snapshot, from the read-back's result (the batch's last).
 *
 * @example
 * const snapshots = snapshotsFrom(readOutcome, results);
 */
export function snapshotsFrom(readOutcome: PreparedOutcome, results: ResultSet[]): ConversionSnapshot[] {
  let rows: OutcomeRow[];
  try {
    rows = readOutcome.mapResult(results.at(-1)!, true) as OutcomeRow[];
  } catch {
    // A decoding error quotes the value (JSON.parse does): neither it nor its cause may reach a log.
    throw new StoredValueError("a stored value read by the conversion could not be decoded");
  }
  return rows.map(toSnapshot);
}
