import { and, eq, ne, sql } from "drizzle-orm";
import type { Database } from "../src/db/client";
import { clients, financialEntities, leadConversions, leads } from "../src/db/schema";
import { CONVERTED_LEAD_STATUS } from "../src/domain/client";

// The conversion as a careful Drizzle user writes it, kept for comparison only (never
// in src/): one read batch (the entity, the lead, the NIT clash), the decision in
// application code, then one write batch whose last statement fails — rolling the
// batch back — if the lead changed in between. Two round trips, and the write lock is
// held only while the write batch runs on the server.

export type FairOutcome = "converted" | "replayed" | "refused";

/** Converts one lead in two batches: read, decide, guarded write. */
export async function fairConvert(
  db: Database,
  leadId: string,
  entityId: string,
  subject: string,
): Promise<FairOutcome> {
  const [entityRows, leadRows, clashRows] = await db.batch([
    db.select().from(financialEntities).where(eq(financialEntities.id, entityId)),
    db.select().from(leads).where(eq(leads.id, leadId)),
    db
      .select({ id: clients.id })
      .from(clients)
      .where(
        and(
          eq(clients.financialEntityId, entityId),
          eq(clients.nitKey, sql`(select ${leads.nitKey} from ${leads} where ${leads.id} = ${leadId})`),
          ne(clients.nitKey, ""),
        ),
      )
      .limit(1),
  ]);
  const entity = entityRows[0];
  const lead = leadRows[0];
  if (entity?.status !== "active" || !lead || lead.ecosystemId !== entity.ecosystemId) return "refused";
  if (lead.convertedClientId !== null) return "replayed";
  if (lead.financialEntityId !== null && lead.financialEntityId !== entityId) return "refused";
  if (clashRows.length > 0) return "refused";

  const clientId = crypto.randomUUID();
  const at = new Date().toISOString();
  // The unique indexes on clients (lead_id; entity + NIT key) refuse a rival's
  // conversion that committed after the read; the audit row's lead_id is NULL —
  // and the batch fails — unless the guarded update changed the lead.
  await db.batch([
    db.insert(clients).values({
      id: clientId,
      financialEntityId: entityId,
      ecosystemId: entity.ecosystemId,
      leadId,
      image: lead.image,
      name: lead.name,
      lastname: lead.lastname,
      businessName: lead.businessName,
      quota: lead.quota,
      phone: lead.phone,
      email: lead.email,
      nit: lead.nit,
      nitKey: lead.nitKey,
      address: lead.address,
      score: lead.score,
      businessEntity: lead.businessEntity,
      paymentData: lead.paymentData ?? {},
      additionalData: lead.additionalData ?? {},
      createdAt: at,
    }),
    db
      .update(leads)
      .set({ status: CONVERTED_LEAD_STATUS, financialEntityId: entityId, convertedClientId: clientId, convertedAt: at })
      .where(
        and(
          eq(leads.id, leadId),
          sql`${leads.convertedClientId} is null`,
          sql`(${leads.financialEntityId} is null or ${leads.financialEntityId} = ${entityId})`,
        ),
      ),
    db.insert(leadConversions).values({
      id: crypto.randomUUID(),
      leadId: sql`(select ${leads.id} from ${leads} where ${leads.id} = ${leadId} and ${leads.convertedClientId} = ${clientId})`,
      clientId,
      financialEntityId: entityId,
      subject,
      requestId: clientId,
      convertedAt: at,
    }),
  ]);
  return "converted";
}
