import type { Database } from "./client";

/**
 * The promises the data must keep whatever happened — crashes, lost
 * responses, races. Each rule is a query for the rows that break it.
 */
const RULES = {
  // A client may hold several leads (on_existing_client: "link"): the lead's converted_client_id is the link.
  "a converted lead has the converted status, one client of the entity and ecosystem it records, and one audit record": `
    select l.id from leads l
    where l.converted_client_id is not null and (
      l.status <> 'converted' or l.converted_at is null
      or (select count(*) from lead_conversions a where a.lead_id = l.id) <> 1
      or not exists (select 1 from clients c where c.id = l.converted_client_id
                     and c.financial_entity_id = l.financial_entity_id and c.ecosystem_id = l.ecosystem_id))`,
  "a converted lead was made into its client, or else linked into the entity's existing client, as its audit record says": `
    select l.id from leads l
    join clients c on c.id = l.converted_client_id
    join lead_conversions a on a.lead_id = l.id
    where (c.lead_id is l.id) = a.linked`,
  "a lead that is not converted has no client, no audit record and not the converted status": `
    select l.id from leads l
    where l.converted_client_id is null and (
      l.status = 'converted'
      or exists (select 1 from clients c where c.lead_id = l.id)
      or exists (select 1 from lead_conversions a where a.lead_id = l.id))`,
  "a client made from a lead is the one the lead points to": `
    select c.id from clients c
    where c.lead_id is not null and not exists (select 1 from leads l where l.id = c.lead_id and l.converted_client_id = c.id)`,
  "an audit record matches its lead, the client the lead points to, and that client's entity": `
    select a.id from lead_conversions a
    where not exists (select 1 from leads l join clients c on c.id = l.converted_client_id
                      where l.id = a.lead_id and c.id = a.client_id and c.financial_entity_id = a.financial_entity_id)`,
} as const;

export interface InvariantViolation {
  rule: string;
  ids: string[];
}

/**
 * Every broken invariant, with the ids that break it; empty when the data is sound.
 *
 * @example
 * expect(await findInvariantViolations(db)).toEqual([]);
 */
export async function findInvariantViolations(db: Database): Promise<InvariantViolation[]> {
  const violations: InvariantViolation[] = [];
  for (const [rule, query] of Object.entries(RULES)) {
    const { rows } = await db.$client.execute(query);
    if (rows.length > 0) violations.push({ rule, ids: rows.map((row) => String(row[0])) });
  }
  return violations;
}
