import { type SQL, sql } from "drizzle-orm";
import type { ConversionCommand } from "../domain/conversion";

type CommandKey = keyof ConversionCommand;

/** The values that differ between the leads of one bulk call, and their columns in the items table. */
const PER_LEAD = {
  leadId: "lead_id",
  clientId: "client_id",
  auditId: "audit_id",
  eventId: "event_id",
} as const satisfies Partial<Record<CommandKey, string>>;
type PerLead = keyof typeof PER_LEAD;

const isPerLead = (name: CommandKey): name is PerLead => name in PER_LEAD;

const itemsQuery = sql`(select "key" as "ord", ${sql.join(
  Object.entries(PER_LEAD).map(([key, column]) => sql`"value" ->> ${sql.raw(`'${key}'`)} as ${sql.identifier(column)}`),
  sql`, `,
)} from json_each(${sql.placeholder("items")}))`;

/**
 * The leads of a bulk call as a table the statements join: `json_each` over
 * one JSON array bound as `items` (see {@link itemsParameter}), a row per lead
 * in request order (`ord`), with the values each lead has of its own.
 *
 * @example
 * sql`select ${bulkItems.value("leadId")} from ${bulkItems.table()}`; // select "item"."lead_id" from (…) as "item"
 */
export interface BulkItems {
  /** The items table, named `item`, for a FROM or JOIN clause. */
  table(): SQL;
  /** A command's value: the `item` row's own for a per-lead value, otherwise the one bound for the whole call. */
  value(name: CommandKey): SQL;
}

export const bulkItems: BulkItems = {
  table: () => sql`${itemsQuery} as "item"`,
  value: (name) => (isPerLead(name) ? sql`"item".${sql.identifier(PER_LEAD[name])}` : sql`${sql.placeholder(name)}`),
};

/** The `items` parameter: each command's per-lead values, in order. */
export function itemsParameter(commands: readonly ConversionCommand[]): string {
  return JSON.stringify(
    commands.map((command) => Object.fromEntries(Object.keys(PER_LEAD).map((key) => [key, command[key as PerLead]]))),
  );
}
