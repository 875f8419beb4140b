import { eq, sql } from "drizzle-orm";
import type { Client } from "../domain/client";
import type { ClientReader } from "../domain/read-client";
import type { LeadLookup, LeadReader } from "../domain/read-lead";
import type { Database } from "./client";
import { callDatabase } from "./errors";
import { clients, financialEntities, leads } from "./schema";
import { isoTime, jsonArrayOrEmpty, jsonArrayOrNull, jsonObjectOrEmpty, jsonObjectOrNull, numberOrNull, StoredValueError } from "./stored-values";

/** A client row as the domain's {@link Client}, stored values normalized to what the body promises. */
export const clientColumns = {
  id: clients.id,
  financialEntityId: clients.financialEntityId,
  ecosystemId: clients.ecosystemId,
  image: clients.image,
  name: clients.name,
  lastname: clients.lastname,
  businessName: clients.businessName,
  quota: numberOrNull(clients.quota),
  status: clients.status,
  phone: clients.phone,
  email: clients.email,
  nit: clients.nit,
  address: clients.address,
  history: jsonArrayOrEmpty(clients.history).mapWith(clients.history),
  score: numberOrNull(clients.score),
  paymentData: jsonObjectOrEmpty(clients.paymentData).mapWith(clients.paymentData),
  apnToken: clients.apnToken,
  businessEntity: clients.businessEntity,
  additionalData: jsonObjectOrEmpty(clients.additionalData).mapWith(clients.additionalData),
};

const leadColumns = {
  id: leads.id,
  status: leads.status,
  ecosystemId: leads.ecosystemId,
  financialEntityId: leads.financialEntityId,
  convertedClientId: leads.convertedClientId,
  convertedAt: isoTime(leads.convertedAt),
  createdAt: isoTime(leads.createdAt),
  image: leads.image,
  name: leads.name,
  lastname: leads.lastname,
  businessName: leads.businessName,
  quota: numberOrNull(leads.quota),
  phone: leads.phone,
  email: leads.email,
  nit: leads.nit,
  address: leads.address,
  history: jsonArrayOrNull(leads.history).mapWith(leads.history),
  score: numberOrNull(leads.score),
  paymentData: jsonObjectOrNull(leads.paymentData).mapWith(leads.paymentData),
  apnToken: leads.apnToken,
  businessEntity: leads.businessEntity,
  additionalData: jsonObjectOrNull(leads.additionalData).mapWith(leads.additionalData),
};

async function decoded<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    // JSON.parse quotes the value it could not read: neither it nor its cause may reach a log.
    if (error instanceof SyntaxError) throw new StoredValueError("a stored value could not be decoded");
    throw error;
  }
}

export interface ReadStoreOptions {
  /** How long one read may take before it is reported as unavailable. */
  timeoutMs: number;
}

/**
 * Reads of clients and leads over libSQL: one statement, one database request, per read.
 *
 * @example
 * const reads = createReadStore(db, { timeoutMs: 5_000 });
 * const client = await reads.findClient(clientId);
 */
export function createReadStore(db: Database, options: ReadStoreOptions): ClientReader & LeadReader {
  const clientById = db.select(clientColumns).from(clients).where(eq(clients.id, sql.placeholder("clientId"))).prepare();
  const leadWithEntity = db
    .select({
      lead: leadColumns,
      entityId: financialEntities.id,
      entityEcosystemId: financialEntities.ecosystemId,
      convertedClientEntityId: clients.financialEntityId,
    })
    .from(leads)
    .leftJoin(financialEntities, eq(financialEntities.id, sql.placeholder("financialEntityId")))
    .leftJoin(clients, eq(clients.id, leads.convertedClientId))
    .where(eq(leads.id, sql.placeholder("leadId")))
    .prepare();

  return {
    async findClient(clientId) {
      const rows = await decoded(() => callDatabase(() => clientById.all({ clientId }), options.timeoutMs));
      return (rows[0] as Client | undefined) ?? null;
    },
    async findLead(leadId, financialEntityId): Promise<LeadLookup | null> {
      const rows = await decoded(() => callDatabase(() => leadWithEntity.all({ leadId, financialEntityId }), options.timeoutMs));
      const row = rows[0];
      if (row === undefined) return null;
      return {
        lead: row.lead as LeadLookup["lead"],
        entity: row.entityId === null ? null : { id: row.entityId, ecosystemId: row.entityEcosystemId! },
        convertedClientEntityId: row.convertedClientEntityId,
      };
    },
  };
}
