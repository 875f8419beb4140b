import { and, asc, eq, gt, inArray, isNull, type SQL, sql } from "drizzle-orm";
import { NIT_KEY_RULE_VERSION, nitKey } from "../domain/nit-key";
import type { Database } from "./client";
import { clients, financialEntities, leads, nitKeyRule } from "./schema";

/** Two clients of one entity whose NITs have the same key: `keptId` holds it, `unkeyedId` was left without one. */
export interface NitKeyCollision {
  financialEntityId: string;
  keptId: string;
  unkeyedId: string;
}

export interface NitKeyBackfill {
  /** Leads whose stored key this run changed. */
  leads: number;
  /** Clients whose stored key this run changed (a client left without a key counts when it had one). */
  clients: number;
  collisions: NitKeyCollision[];
}

const CHUNK = 200;
/** Rows in groups of 200, for statements with a bound parameter per row (SQLite allows a few thousand). */
export const chunks = <T>(rows: T[]) =>
  Array.from({ length: Math.ceil(rows.length / CHUNK) }, (_, i) => rows.slice(i * CHUNK, (i + 1) * CHUNK));

const PAGE = 2_000;
/** Statements per batch, roughly: one entity's re-keying is never split, so a batch may hold more. */
const BATCH = 500;

type Statement = Parameters<Database["batch"]>[0][number];

async function runInBatches(db: Database, groups: Statement[][]) {
  let pending: Statement[] = [];
  const flush = async () => {
    const [first, ...rest] = pending;
    pending = [];
    if (first !== undefined) await db.batch([first, ...rest]);
  };
  for (const group of groups) {
    pending.push(...group);
    if (pending.length >= BATCH) await flush();
  }
  await flush();
}

// The NIT is compared as read: a row whose NIT changed meanwhile was keyed by its writer.
const nitIsStill = (column: typeof leads.nit | typeof clients.nit, nit: string | null): SQL => sql`${column} is ${nit}`;

/**
 * Brings every stored NIT key to the code's rule ({@link nitKey}). SQL cannot
 * compute NFKC, so this runs in TypeScript after the SQL migrations.
 *
 * When the database's `nit_key_rule` is older than `NIT_KEY_RULE_VERSION`,
 * every lead's and client's key is recomputed; otherwise only rows without a
 * key (another tool wrote them) are keyed. Then the rule's version is
 * recorded, so a second run only looks at unkeyed rows.
 *
 * Of two clients of one entity whose keys are now equal, the older keeps the
 * key and the newer is left without one (NULL, which conflicts with nothing):
 * the unique index refuses a second, and the pair is reported as a
 * {@link NitKeyCollision} on this run and every later one until someone
 * corrects a NIT. Each entity's clients are re-keyed in one batch (one
 * transaction), so no other request sees them half done. Idempotent, resumable.
 *
 * @example
 * const { collisions } = await keyNits(db);
 */
export async function keyNits(db: Database): Promise<NitKeyBackfill> {
  const [rule] = await db.select({ version: nitKeyRule.version }).from(nitKeyRule);
  const stale = (rule?.version ?? 0) < NIT_KEY_RULE_VERSION;
  const leadsChanged = await keyLeads(db, stale);
  const { changed: clientsChanged, collisions } = await keyClients(db, stale);
  if (stale) {
    await db
      .insert(nitKeyRule)
      .values({ id: 1, version: NIT_KEY_RULE_VERSION })
      .onConflictDoUpdate({ target: nitKeyRule.id, set: { version: NIT_KEY_RULE_VERSION } });
  }
  return { leads: leadsChanged, clients: clientsChanged, collisions };
}

/** Leads have no unique key: each is re-keyed on its own, page by page. */
async function keyLeads(db: Database, all: boolean): Promise<number> {
  let changed = 0;
  let after = "";
  for (;;) {
    const page = await db
      .select({ id: leads.id, nit: leads.nit, nitKey: leads.nitKey })
      .from(leads)
      .where(and(gt(leads.id, after), all ? undefined : isNull(leads.nitKey)))
      .orderBy(asc(leads.id))
      .limit(PAGE);
    if (page.length === 0) return changed;
    after = page.at(-1)!.id;
    const updates = page.flatMap((l) => {
      const key = nitKey(l.nit);
      return key === l.nitKey
        ? []
        : [
            db
              .update(leads)
              .set({ nitKey: key })
              .where(and(eq(leads.id, l.id), nitIsStill(leads.nit, l.nit))),
          ];
    });
    changed += updates.length;
    await runInBatches(db, [updates]);
  }
}

interface ClientToKey {
  id: string;
  financialEntityId: string;
  nit: string | null;
  stored: string | null;
  key: string;
}

const clientColumns = {
  id: clients.id,
  financialEntityId: clients.financialEntityId,
  nit: clients.nit,
  stored: clients.nitKey,
};

/** Each entity's clients oldest first: every client when the rule changed, else the unkeyed ones. */
async function* clientsByEntity(db: Database, all: boolean): AsyncGenerator<ClientToKey[]> {
  const withKeys = (rows: Omit<ClientToKey, "key">[]) => rows.map((c) => ({ ...c, key: nitKey(c.nit) }));
  if (!all) {
    const unkeyed = await db
      .select(clientColumns)
      .from(clients)
      .where(isNull(clients.nitKey))
      .orderBy(asc(clients.financialEntityId), asc(clients.createdAt), asc(clients.id));
    const byEntity = new Map<string, ClientToKey[]>();
    for (const c of withKeys(unkeyed)) {
      const group = byEntity.get(c.financialEntityId);
      if (group) group.push(c);
      else byEntity.set(c.financialEntityId, [c]);
    }
    yield* byEntity.values();
    return;
  }
  const entities = await db.select({ id: financialEntities.id }).from(financialEntities).orderBy(financialEntities.id);
  for (const entity of entities) {
    const rows = await db
      .select(clientColumns)
      .from(clients)
      .where(eq(clients.financialEntityId, entity.id))
      .orderBy(asc(clients.createdAt), asc(clients.id));
    if (rows.length > 0) yield withKeys(rows);
  }
}

/**
 * One entity's clients whose key changes, with every client that will share
 * one of their new keys: these lose their keys and get them back oldest
 * first, so the older of two colliding clients keeps the key, whichever held it.
 */
function reKeying(entityClients: ClientToKey[]): ClientToKey[] {
  const changing = entityClients.filter((c) => c.stored !== c.key);
  const contested = new Set(changing.map((c) => c.key).filter((key) => key !== ""));
  return entityClients.filter((c) => c.stored !== c.key || contested.has(c.key));
}

async function keyClients(db: Database, all: boolean) {
  const rekeyed: ClientToKey[] = [];
  let groups: Statement[][] = [];
  let pending = 0;
  for await (const entityClients of clientsByEntity(db, all)) {
    const group = reKeying(entityClients);
    if (group.length === 0) continue;
    rekeyed.push(...group);
    const statements = [
      ...chunks(group.map((c) => c.id)).map((ids) =>
        db.update(clients).set({ nitKey: null }).where(inArray(clients.id, ids)),
      ),
      ...group.map((c) =>
        db
          .update(clients)
          .set({ nitKey: c.key })
          .where(
            and(
              eq(clients.id, c.id),
              nitIsStill(clients.nit, c.nit),
              // Statements of one batch run in order, so this sees the keys set just before it.
              sql`(${c.key} = '' or not exists (select 1 from ${clients} as "holder" where "holder"."financial_entity_id" = ${c.financialEntityId} and "holder"."nit_key" = ${c.key}))`,
            ),
          ),
      ),
    ];
    groups.push(statements);
    pending += statements.length;
    if (pending >= BATCH) {
      await runInBatches(db, groups);
      groups = [];
      pending = 0;
    }
  }
  await runInBatches(db, groups);

  const unkeyed = new Set(
    (await db.select({ id: clients.id }).from(clients).where(isNull(clients.nitKey))).map((c) => c.id),
  );
  const collisions: NitKeyCollision[] = [];
  for (const c of rekeyed) {
    if (!unkeyed.has(c.id) || c.key === "") continue;
    const [holder] = await db
      .select({ id: clients.id })
      .from(clients)
      .where(and(eq(clients.financialEntityId, c.financialEntityId), eq(clients.nitKey, c.key)));
    if (holder) collisions.push({ financialEntityId: c.financialEntityId, keptId: holder.id, unkeyedId: c.id });
  }
  const changed = rekeyed.filter((c) => (unkeyed.has(c.id) ? null : c.key) !== c.stored).length;
  return { changed, collisions };
}

/** The operator's message for a collision: ids only, never a NIT. */
export function describeNitKeyCollision(collision: NitKeyCollision): string {
  return (
    `NIT key collision: clients ${collision.keptId} and ${collision.unkeyedId} of financial entity ` +
    `${collision.financialEntityId} have the same NIT key; ${collision.unkeyedId} was left without a key ` +
    `until one of the two NITs is corrected.`
  );
}
