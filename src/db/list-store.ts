import { type SQL, sql } from "drizzle-orm";
import type { Acting } from "../domain/caller";
import type { Client } from "../domain/client";
import type { Listed, ListStore, PagePosition } from "../domain/lists";
import type { LeadView } from "../domain/read-lead";
import { LEADS_READ_SCOPE, USERS_READ_SCOPE } from "../domain/scopes";
import type { Database } from "./client";
import { clientColumns, leadColumns } from "./columns";
import { type GatedReadOptions, gatedRead, type PreparedRead } from "./gated-read";
import { clients, financialEntities, leads } from "./schema";
import { StoredValueError } from "./stored-values";

export type ListStoreOptions = GatedReadOptions;

const after = (table: typeof leads | typeof clients, position: PagePosition | null) =>
  position === null ? sql`1` : sql`(${table.createdAt}, ${table.id}) > (${position.createdAt}, ${position.id})`;

const and = (parts: (SQL | false | undefined)[]) =>
  sql.join(
    parts.filter((p): p is SQL => p !== false && p !== undefined),
    sql` and `,
  );

type LeadFilters = Parameters<ListStore["listLeads"]>[1]["filters"];

/**
 * The positions (stored `created_at`, id) of one page of leads, in order: the
 * unassigned leads of the entity's ecosystem and the leads it holds (the ones
 * it converted among them) are two ranges of one index — `(ecosystem_id,
 * financial_entity_id, …, created_at, id)` — each read from the cursor on for
 * at most `limit` rows and merged. A lead converted into another entity's
 * client is left out, as `GET /leads/{lead_id}` leaves it out.
 */
function leadPageQuery(entity: SQL, filters: LeadFilters, position: PagePosition | null, limit: number): SQL {
  const ecosystem = sql`(select ${financialEntities.ecosystemId} from ${financialEntities} where ${financialEntities.id} = ${entity})`;
  const l = leads;
  const range = (holder: SQL) => sql`select ${l.createdAt} as "created_at", ${l.id} as "id" from ${l}
    where ${and([
      sql`${l.ecosystemId} = ${ecosystem}`,
      holder,
      filters.status !== undefined && sql`${l.status} = ${filters.status}`,
      filters.nitKey !== undefined && sql`${l.nitKey} = ${filters.nitKey}`,
      // The caller's own id for a lead it created: the (created_by, external_id) unique index finds it.
      filters.externalId !== undefined &&
        sql`${l.createdBy} = ${entity} and ${l.externalId} = ${filters.externalId} and ${l.externalId} is not null`,
      after(l, position),
      sql`(${l.convertedClientId} is null or (select ${clients.financialEntityId} from ${clients} where ${clients.id} = ${l.convertedClientId}) = ${entity})`,
    ])}
    order by ${l.createdAt}, ${l.id} limit ${limit + 1}`;
  const pool = range(sql`${l.financialEntityId} is null`);
  const mine = range(sql`${l.financialEntityId} = ${entity}`);
  const ranges =
    filters.assigned === "me"
      ? [mine]
      : filters.assigned === "unassigned"
        ? [pool]
        : [sql`select * from (${pool})`, sql`select * from (${mine})`];
  return sql`select "created_at", "id" from (${sql.join(ranges, sql` union all `)}) order by "created_at", "id" limit ${limit + 1}`;
}

type ClientFilters = Parameters<ListStore["listClients"]>[1]["filters"];

/** One page of the entity's clients, by `(financial_entity_id, …, created_at, id)` indexes. */
function clientPageConditions(entity: SQL, filters: ClientFilters, position: PagePosition | null): SQL {
  const c = clients;
  return and([
    sql`${c.financialEntityId} = ${entity}`,
    // The NIT index is partial (`nit_key <> ''`): the literal lets SQLite use it.
    filters.nitKey !== undefined && sql`${c.nitKey} = ${filters.nitKey} and ${c.nitKey} <> ''`,
    filters.email !== undefined && sql`lower(${c.email}) = lower(${filters.email})`,
    filters.leadId !== undefined &&
      sql`${c.id} = (select ${leads.convertedClientId} from ${leads} where ${leads.id} = ${filters.leadId})`,
    after(c, position),
  ]);
}

/**
 * The {@link ListStore} over libSQL: one batch per page — for a key, behind
 * the key gate (an unknown, revoked or expired key fails the batch before the
 * page, and is remembered) and between its own statements (its entity is NULL
 * unless it may read, and nothing is listed then).
 *
 * @example
 * const lists = createListStore(db, { timeoutMs: 5_000 });
 * const { rows } = await lists.listLeads({ caller, at }, { filters: {}, after: null, limit: 50 });
 */
export function createListStore(db: Database, options: ListStoreOptions): ListStore {
  async function page<T>(as: Acting, scope: string, build: (entity: SQL) => PreparedRead) {
    const { apiKey, query, result } = await gatedRead(db, as, scope, build, options);
    let rows: { item: T; positionCreatedAt: string; positionId: string }[];
    try {
      rows = query.mapResult(result, true) as typeof rows;
    } catch {
      // JSON.parse quotes the value it could not read: neither it nor its cause may reach a log.
      throw new StoredValueError("a stored value of a listed row could not be decoded");
    }
    const listed: Listed<T>[] = rows.map((row) => ({
      item: row.item,
      position: { createdAt: row.positionCreatedAt, id: row.positionId },
    }));
    return as.caller.kind === "key" ? { rows: listed, apiKey } : { rows: listed };
  }

  return {
    listLeads: (as, request) => page<LeadView>(as, LEADS_READ_SCOPE, (entity) => leadPage(db, entity, request)),
    listClients: (as, request) => page<Client>(as, USERS_READ_SCOPE, (entity) => clientPage(db, entity, request)),
  };
}

/** The query of one page of leads (its `limit + 1` rows), for the entity `entity` names in SQL. */
export function leadPage(
  db: Database,
  entity: SQL,
  { filters, after: position, limit }: Parameters<ListStore["listLeads"]>[1],
) {
  return db
    .select({ item: leadColumns, positionCreatedAt: leads.createdAt, positionId: leads.id })
    .from(sql`(${leadPageQuery(entity, filters, position, limit)}) as "page"`)
    .innerJoin(leads, sql`${leads.id} = "page"."id"`)
    .orderBy(sql`"page"."created_at"`, sql`"page"."id"`)
    .prepare();
}

/** The query of one page of clients (its `limit + 1` rows). */
export function clientPage(
  db: Database,
  entity: SQL,
  { filters, after: position, limit }: Parameters<ListStore["listClients"]>[1],
) {
  return db
    .select({ item: clientColumns, positionCreatedAt: clients.createdAt, positionId: clients.id })
    .from(clients)
    .where(clientPageConditions(entity, filters, position))
    .orderBy(clients.createdAt, clients.id)
    .limit(limit + 1)
    .prepare();
}
