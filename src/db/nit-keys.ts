import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { nitKey } from "../domain/nit-key";
import type { Database } from "./client";
import { clients, leads } from "./schema";

/** Two clients of one entity whose NITs have the same key: `keptId` holds it, `unkeyedId` was left without one. */
export interface NitKeyCollision {
  financialEntityId: string;
  keptId: string;
  unkeyedId: string;
}

export interface NitKeyBackfill {
  leads: number;
  clients: number;
  collisions: NitKeyCollision[];
}

const CHUNK = 200;
/** Rows in groups of 200, for statements with a bound parameter per row (SQLite allows a few thousand). */
export const chunks = <T>(rows: T[]) =>
  Array.from({ length: Math.ceil(rows.length / CHUNK) }, (_, i) => rows.slice(i * CHUNK, (i + 1) * CHUNK));

/**
 * Keys every lead and client whose `nit_key` is NULL — all of them after a
 * migration that changes the rule, and rows another tool wrote without one.
 * SQL cannot compute NFKC, so this runs in TypeScript after the SQL migrations.
 *
 * A client whose key another client of its entity already holds keeps a NULL
 * key (the unique index refuses a second one) and is reported as a
 * {@link NitKeyCollision}, on this run and every later one until someone
 * resolves it. Older clients keep their key first. Idempotent, resumable.
 *
 * @example
 * const { collisions } = await keyUnkeyedNits(db);
 */
export async function keyUnkeyedNits(db: Database): Promise<NitKeyBackfill> {
  const unkeyedLeads = await db.select({ id: leads.id, nit: leads.nit }).from(leads).where(isNull(leads.nitKey));
  for (const rows of chunks(unkeyedLeads)) {
    const [first, ...rest] = rows.map((l) =>
      db
        .update(leads)
        .set({ nitKey: nitKey(l.nit) })
        .where(and(eq(leads.id, l.id), isNull(leads.nitKey))),
    );
    await db.batch([first!, ...rest]);
  }

  const unkeyedClients = await db
    .select({ id: clients.id, financialEntityId: clients.financialEntityId, nit: clients.nit })
    .from(clients)
    .where(isNull(clients.nitKey))
    .orderBy(asc(clients.createdAt), asc(clients.id));
  const keyed = unkeyedClients.map((c) => ({ ...c, key: nitKey(c.nit) }));
  for (const rows of chunks(keyed)) {
    const [first, ...rest] = rows.map((c) =>
      db
        .update(clients)
        .set({ nitKey: c.key })
        .where(
          and(
            eq(clients.id, c.id),
            isNull(clients.nitKey),
            // Statements of one batch run in order, so this sees the keys set just before it.
            sql`(${c.key} = '' or not exists (select 1 from ${clients} as "holder" where "holder"."financial_entity_id" = ${c.financialEntityId} and "holder"."nit_key" = ${c.key}))`,
          ),
        ),
    );
    await db.batch([first!, ...rest]);
  }

  const collisions: NitKeyCollision[] = [];
  const left = new Set(
    (await db.select({ id: clients.id }).from(clients).where(isNull(clients.nitKey))).map((c) => c.id),
  );
  for (const c of keyed) {
    if (!left.has(c.id)) continue;
    const [holder] = await db
      .select({ id: clients.id })
      .from(clients)
      .where(and(eq(clients.financialEntityId, c.financialEntityId), eq(clients.nitKey, c.key)));
    if (holder) collisions.push({ financialEntityId: c.financialEntityId, keptId: holder.id, unkeyedId: c.id });
  }
  return { leads: unkeyedLeads.length, clients: keyed.length - left.size, collisions };
}

/** The operator's message for a collision: ids only, never a NIT. */
export function describeNitKeyCollision(collision: NitKeyCollision): string {
  return (
    `NIT key collision: clients ${collision.keptId} and ${collision.unkeyedId} of financial entity ` +
    `${collision.financialEntityId} have the same NIT key; ${collision.unkeyedId} was left without a key ` +
    `until one of the two NITs is corrected.`
  );
}
