import { count, eq } from "drizzle-orm";
import type { Database } from "../../src/db/client";
import { clients, ecosystems, financialEntities, leadConversions, leads, webhookEvents } from "../../src/db/schema";
import { nitKey } from "../../src/domain/nit-key";
import { writtenNit } from "./nits";

type LeadRow = typeof leads.$inferInsert;
type ClientRow = typeof clients.$inferInsert;

const id = () => crypto.randomUUID();

export async function givenEcosystem(db: Database, overrides: Partial<typeof ecosystems.$inferInsert> = {}) {
  const [row] = await db
    .insert(ecosystems)
    .values({ id: id(), name: "Test ecosystem", ...overrides })
    .returning();
  return row!;
}

/** An entity, in a new ecosystem unless one is given. */
export async function givenEntity(db: Database, overrides: Partial<typeof financialEntities.$inferInsert> = {}) {
  const ecosystemId = overrides.ecosystemId ?? (await givenEcosystem(db)).id;
  const [row] = await db
    .insert(financialEntities)
    .values({ id: id(), name: "Test fintech", status: "active", ...overrides, ecosystemId })
    .returning();
  return row!;
}

/** A lead with a full profile, unassigned unless `financialEntityId` is given; its NIT keyed as every writer keys it. */
export async function givenLead(db: Database, overrides: Partial<LeadRow> & { ecosystemId: string }) {
  const nit = "nit" in overrides ? overrides.nit : writtenNit();
  const [row] = await db
    .insert(leads)
    .values({
      id: id(),
      image: "https://img.example.com/ana.png",
      name: "Ana",
      lastname: "Pérez",
      businessName: "Ana Pérez S.A.S.",
      quota: 2500000.5,
      status: "qualified",
      phone: "+57 300 000 0000",
      email: "ana@example.com",
      address: "Calle 1 # 2-3",
      history: [{ event: "contacted" }],
      score: 710,
      paymentData: { bank: "Banco", account: "123" },
      apnToken: "device-token",
      businessEntity: "S.A.S.",
      additionalData: { source: "test" },
      ...overrides,
      nit,
      nitKey: "nitKey" in overrides ? overrides.nitKey : nitKey(nit),
    })
    .returning();
  return row!;
}

export async function givenClient(
  db: Database,
  overrides: Partial<ClientRow> & { financialEntityId: string; ecosystemId: string },
) {
  const [row] = await db
    .insert(clients)
    .values({
      id: id(),
      name: "Existing",
      ...overrides,
      nitKey: "nitKey" in overrides ? overrides.nitKey : nitKey(overrides.nit),
    })
    .returning();
  return row!;
}

/** An active entity and an unassigned lead in its ecosystem: the happy path's starting point. */
export async function givenConvertibleLead(db: Database, lead: Partial<LeadRow> = {}) {
  const entity = await givenEntity(db);
  return { entity, lead: await givenLead(db, { ...lead, ecosystemId: entity.ecosystemId }) };
}

export async function readLead(db: Database, leadId: string) {
  const [row] = await db.select().from(leads).where(eq(leads.id, leadId));
  return row;
}

/** Clients and audit records that exist for one lead. */
export async function writesFor(db: Database, leadId: string) {
  const [c] = await db.select({ n: count() }).from(clients).where(eq(clients.leadId, leadId));
  const [a] = await db.select({ n: count() }).from(leadConversions).where(eq(leadConversions.leadId, leadId));
  return { clients: c!.n, audits: a!.n };
}

export async function auditFor(db: Database, leadId: string) {
  return db.select().from(leadConversions).where(eq(leadConversions.leadId, leadId));
}

/** `count` bare leads in one ecosystem, inserted in chunks; returns their ids. */
export async function givenManyLeads(db: Database, ecosystemId: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, id);
  for (let i = 0; i < ids.length; i += 500) {
    await db
      .insert(leads)
      .values(
        ids
          .slice(i, i + 500)
          .map((leadId) => ({ id: leadId, ecosystemId, name: "Bulk", nit: leadId, nitKey: nitKey(leadId) })),
      );
  }
  return ids;
}

/** Suspends an entity, as an operator would. */
export async function suspendEntity(db: Database, entityId: string) {
  await db.update(financialEntities).set({ status: "suspended" }).where(eq(financialEntities.id, entityId));
}

/**
 * A lead written by another tool, straight with SQL: `columns` are raw SQL
 * values (text that may not be JSON, a quota that is not a number, …).
 */
export async function givenRawLead(db: Database, ecosystemId: string, columns: Record<string, string | number | null>) {
  const leadId = id();
  const names = ["id", "ecosystem_id", ...Object.keys(columns)];
  await db.$client.execute({
    sql: `insert into leads (${names.join(", ")}) values (${names.map(() => "?").join(", ")})`,
    args: [leadId, ecosystemId, ...Object.values(columns)],
  });
  return leadId;
}

/** The `lead.converted` events written for one lead, payloads parsed. */
export async function eventsForLead(db: Database, leadId: string): Promise<{ id: string; payload: any }[]> {
  const rows = await db.select({ id: webhookEvents.id, payload: webhookEvents.payload }).from(webhookEvents);
  return rows
    .map((row) => ({ id: row.id, payload: JSON.parse(row.payload) }))
    .filter((event) => event.payload.data?.lead_id === leadId);
}
