import type { InArgs, InStatement, ResultSet } from "@libsql/client/http";
import { and, eq, fillPlaceholders, sql } from "drizzle-orm";
import { CONVERTED_LEAD_STATUS } from "../domain/client";
import type { ConversionCommand, ConversionSnapshot } from "../domain/conversion";
import type { Database } from "./client";
import { outcomeQuery, snapshotsFrom } from "./conversion-outcome";
import { boundValue, type ConversionRules, conversionRules } from "./conversion-rules";
import { conversionEventStatements } from "./outbox";
import { clients, financialEntities, leadConversions, leads } from "./schema";
import { numberOrNull } from "./stored-values";

/**
 * The client's profile fields a linked lead fills when the client's own is
 * null (Salesforce's merge rule); history, payment data, additional data,
 * status and the NIT are never touched.
 */
export const LINK_FILLED_FIELDS = [
  "image",
  "name",
  "lastname",
  "businessName",
  "quota",
  "phone",
  "email",
  "address",
  "score",
  "businessEntity",
] as const;

/** The lead's value for a filled field, normalized as a new client's would be. */
const leadValue = (column: (typeof LINK_FILLED_FIELDS)[number]) =>
  column === "quota" || column === "score" ? numberOrNull(leads[column]) : leads[column];

/**
 * With `on_existing_client: "link"`: the entity's client with the lead's NIT
 * key gets the lead's profile where its own is null, and the lead is marked
 * converted into that client. Only for a lead the rules let through.
 */
function linkStatements(db: Database, rules: ConversionRules) {
  const value = boundValue;
  const linkTarget = db
    .select({ id: rules.sameNit.id })
    .from(leads)
    .innerJoin(financialEntities, rules.joinEntity)
    .innerJoin(rules.sameNit, rules.sameNitOfEntity)
    .where(and(rules.convertible, eq(value("onExistingClient"), "link")))
    .limit(1);
  const fromLead = (column: (typeof LINK_FILLED_FIELDS)[number]) =>
    sql`coalesce(${clients[column]}, (select ${leadValue(column)} from ${leads} where ${leads.id} = ${value("leadId")}))`;
  const fillLinkedClient = db
    .update(clients)
    .set(Object.fromEntries(LINK_FILLED_FIELDS.map((column) => [column, fromLead(column)])))
    .where(eq(clients.id, sql`(${linkTarget})`));
  const markLeadLinked = db
    .update(leads)
    .set({
      status: CONVERTED_LEAD_STATUS,
      financialEntityId: sql`${value("financialEntityId")}`,
      convertedClientId: sql`(${linkTarget})`,
      convertedAt: sql`${value("at")}`,
    })
    .where(and(eq(leads.id, value("leadId")), sql`(${linkTarget}) is not null`));
  return [fillLinkedClient.toSQL(), markLeadLinked.toSQL()];
}

/**
 * The batch of one conversion attempt, built once from the conversion's rules
 * (conversion-rules.ts) with the command's values bound. Each statement
 * decides for itself whether to act, and the last reports what the database
 * looks like:
 * 1. the key's `last_used_at`, for a usable key;
 * 2. a new client from the lead, when the lead may be converted and the
 *    entity has no client with its NIT key;
 * 3. the lead marked converted into it;
 * 4. with `on_existing_client: "link"`, the two link statements (left out
 *    otherwise: they could do nothing, and cost);
 * 5. the audit record, when this attempt converted the lead;
 * 6. the outbox: the `lead.converted` event and its deliveries;
 * 7. the read-back.
 *
 * The store runs it; the benchmark runs it bare, as the raw limit.
 *
 * @example
 * const batch = prepareConversionBatch(db);
 * const results = await db.$client.batch(batch.statementsFor(command), "write");
 * const snapshot = batch.snapshotFrom(results);
 */
export function prepareConversionBatch(db: Database) {
  const rules = conversionRules(db, boundValue);
  const insertClient = db
    .insert(clients)
    .select(
      db
        .select(rules.clientFieldsFromLead)
        .from(leads)
        .innerJoin(financialEntities, rules.joinEntity)
        .where(rules.mayMakeClient)
        .getSQL(),
    );
  const markLeadConverted = db.update(leads).set(rules.leadConverted.set).where(rules.leadConverted.where);
  const recordConversion = db
    .insert(leadConversions)
    .select(
      db
        .select(rules.auditFields)
        .from(leads)
        .innerJoin(clients, eq(clients.id, leads.convertedClientId))
        .where(rules.convertedNow)
        .getSQL(),
    );
  const readOutcome = outcomeQuery(db, rules, boundValue, sql`(select 1) as "attempt"`).prepare();

  const convert = [rules.touchKey, insertClient, markLeadConverted].map((q) => q.toSQL());
  const after = [recordConversion.toSQL(), ...conversionEventStatements(), readOutcome.getQuery()];
  const withLink = [...convert, ...linkStatements(db, rules), ...after];
  const withoutLink = [...convert, ...after];
  return {
    statementsFor(command: ConversionCommand): InStatement[] {
      const values: Record<string, unknown> = { ...command };
      return (command.onExistingClient === "link" ? withLink : withoutLink).map((q) => ({
        sql: q.sql,
        args: fillPlaceholders(q.params, values) as InArgs,
      }));
    },
    snapshotFrom(results: ResultSet[]): ConversionSnapshot {
      return snapshotsFrom(readOutcome, results)[0]!;
    },
  };
}
