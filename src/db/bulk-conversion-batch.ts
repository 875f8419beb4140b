import type { InArgs, InStatement, ResultSet } from "@libsql/client/http";
import { eq, fillPlaceholders, type SQL, sql } from "drizzle-orm";
import type { ConversionCommand, ConversionSnapshot } from "../domain/conversion";
import { bulkItems, itemsParameter } from "./bulk-items";
import type { Database } from "./client";
import { outcomeQuery, snapshotsFrom } from "./conversion-outcome";
import { type ConversionRules, conversionRules } from "./conversion-rules";
import { bulkConversionEventStatements } from "./outbox";
import { clients, financialEntities, leadConversions, leads } from "./schema";

/**
 * The new clients of a bulk call. Its leads convert in request order: of the
 * leads that may be converted with the same NIT key, the first one's client
 * makes the others a clash, as if each lead's statements ran in turn. Ranked
 * once over the candidates (an empty or missing key clashes with nothing).
 */
function firstOfEachNit(db: Database, rules: ConversionRules): SQL {
  const fields = rules.clientFieldsFromLead;
  const names = Object.keys(fields) as (keyof typeof fields)[];
  const column = (i: number) => sql.identifier(`c${i}`);
  // A bulk call's leads, found from its items: CROSS JOIN keeps SQLite from reading the ecosystem's leads and
  // scanning the items for each (convertible's `leads.id = item.lead_id` is the join).
  const candidates = db
    .select({
      ...Object.fromEntries(names.map((name, i) => [name, sql`${fields[name]}`.as(`c${i}`)])),
      nitRank:
        sql`row_number() over (partition by case when ${leads.nitKey} <> '' then 'nit:' || ${leads.nitKey} else 'lead:' || ${leads.id} end order by "item"."ord")`.as(
          "nit_rank",
        ),
    })
    .from(bulkItems.table())
    .crossJoin(leads)
    .innerJoin(financialEntities, rules.joinEntity)
    .where(rules.mayMakeClient);
  return sql`select ${sql.join(
    names.map((_, i) => column(i)),
    sql`, `,
  )} from (${candidates}) where "nit_rank" = 1`;
}

/**
 * The batch of one bulk call that rejects existing clients, built once from
 * the single conversion's rules (conversion-rules.ts), each statement run once
 * for every lead, driven by the call's items (`json_each` over one JSON array,
 * in request order) — so a batch of seven statements whatever the number of
 * leads. Each lead is decided by the same rules, in request order: of two
 * leads with the same NIT key, the first one that may be converted gets the
 * client and the second finds it. Linking (`on_existing_client: "link"`) fills
 * a client from several leads in turn, so it stays with the single batch, one
 * lead after another (bulk-conversion-store.ts).
 *
 * @example
 * const batch = prepareBulkConversionBatch(db);
 * const snapshots = batch.snapshotsFrom(await db.$client.batch(batch.statementsFor(commands), "write"));
 */
export function prepareBulkConversionBatch(db: Database) {
  const rules = conversionRules(db, bulkItems.value);
  const insertClients = db.insert(clients).select(firstOfEachNit(db, rules));
  const markLeadsConverted = db
    .update(leads)
    .set(rules.leadConverted.set)
    .from(bulkItems.table())
    .where(rules.leadConverted.where);
  const recordConversions = db
    .insert(leadConversions)
    .select(
      db
        .select(rules.auditFields)
        .from(bulkItems.table())
        .crossJoin(leads)
        .innerJoin(clients, eq(clients.id, leads.convertedClientId))
        .where(rules.convertedNow)
        .getSQL(),
    );
  // One row per lead, in request order.
  const readOutcome = outcomeQuery(db, rules, bulkItems.value, bulkItems.table()).orderBy(sql`"item"."ord"`).prepare();

  const statements = [
    ...[rules.touchKey, insertClients, markLeadsConverted, recordConversions].map((q) => q.toSQL()),
    ...bulkConversionEventStatements(bulkItems),
    readOutcome.getQuery(),
  ];
  return {
    statementsFor(commands: readonly ConversionCommand[]): InStatement[] {
      // Every command of a call shares the entity, time, request and credential; the items carry the rest.
      const values: Record<string, unknown> = { ...commands[0], items: itemsParameter(commands) };
      return statements.map((q) => ({ sql: q.sql, args: fillPlaceholders(q.params, values) as InArgs }));
    },
    snapshotsFrom(results: ResultSet[]): ConversionSnapshot[] {
      return snapshotsFrom(readOutcome, results);
    },
  };
}
