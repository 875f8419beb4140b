import { and, eq, inArray, isNotNull, ne } from "drizzle-orm";
import * as z from "zod";
import { CONVERTED_LEAD_STATUS } from "../domain/client";
import { LEAD_STATUSES } from "../domain/lead";
import { nitCheckDigitMessage, nitCheckDigitProblem, nitKey } from "../domain/nit-key";
import type { Database } from "./client";
import { chunks } from "./nit-keys";
import { clients, ecosystems, financialEntities, leadConversions, leads } from "./schema";

const uuid = z.guid("must be a UUID").transform((id) => id.toLowerCase());
// The embedded engine reads text only up to a NUL: text holding one would come back cut short.
const text = z.string().refine((value) => !value.includes("\u0000"), "must not contain a NUL character (U+0000)");
const optionalText = text.nullish();
// A NIT coming in with a wrong DV is refused (nit.md); stored data is never refused for it.
const nit = text
  .superRefine((value, ctx) => {
    const problem = nitCheckDigitProblem(value);
    if (problem !== null) ctx.addIssue({ code: "custom", message: nitCheckDigitMessage(problem) });
  })
  .nullish();
const optionalNumber = z
  .union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/, "must be a number")], "must be a number")
  .transform(Number)
  .refine(Number.isFinite, "must be a finite number")
  .nullish();
const optionalObject = z.record(z.string(), z.unknown(), "must be an object").nullish();

const profile = {
  image: optionalText,
  name: optionalText,
  lastname: optionalText,
  business_name: optionalText,
  quota: optionalNumber,
  phone: optionalText,
  email: optionalText,
  nit,
  address: optionalText,
  history: z.array(z.unknown(), "must be an array").nullish(),
  score: optionalNumber,
  payment_data: optionalObject,
  apn_token: optionalText,
  business_entity: optionalText,
  additional_data: optionalObject,
};

/** The seed file: every array optional, every record strict so typos are caught. */
export const seedFileSchema = z.strictObject({
  ecosystems: z.array(z.strictObject({ id: uuid, name: text.min(1) })).default([]),
  financial_entities: z
    .array(
      z.strictObject({
        id: uuid,
        ecosystem_id: uuid,
        name: text.min(1),
        status: z.enum(["active", "suspended"]).default("active"),
      }),
    )
    .default([]),
  leads: z
    .array(
      z.strictObject({
        id: uuid,
        ecosystem_id: uuid,
        financial_entity_id: uuid.nullish(),
        ...profile,
        status: z.enum(LEAD_STATUSES, `must be one of ${LEAD_STATUSES.join(", ")}`).nullish(),
      }),
    )
    .default([]),
  users: z
    .array(
      z.strictObject({
        id: uuid,
        financial_entity_id: uuid,
        /** The lead of the same file this client was converted from; that lead must be `converted`. */
        lead_id: uuid.nullish(),
        ...profile,
        status: text.min(1).nullish(),
      }),
    )
    .default([]),
});

export type SeedFile = z.output<typeof seedFileSchema>;

export interface SeedIssue {
  path: string;
  message: string;
}

/** The seed was refused; nothing was written. */
export class SeedError extends Error {
  override name = "SeedError";
  constructor(readonly issues: SeedIssue[]) {
    super(issues.map((issue) => `${issue.path}: ${issue.message}`).join("\n"));
  }
}

const formatPath = (path: readonly PropertyKey[]) =>
  path.reduce<string>(
    (out, key) => (typeof key === "number" ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    "",
  );

const LOOKUP_CHUNK = 5_000;

/** Runs an `IN (…)` lookup in chunks, keeping under SQLite's limit on bound variables. */
async function lookup<T>(ids: Iterable<string>, query: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const unique = [...new Set(ids)];
  const out: T[] = [];
  for (let i = 0; i < unique.length; i += LOOKUP_CHUNK) out.push(...(await query(unique.slice(i, i + LOOKUP_CHUNK))));
  return out;
}

/** Checks ids, references and NITs against the file itself and what the database already holds. */
async function crossCheck(
  db: Database,
  seed: SeedFile,
): Promise<{ issues: SeedIssue[]; entityEcosystem: Map<string, string> }> {
  const issues: SeedIssue[] = [];
  const issue = (path: string, message: string) => issues.push({ path, message });

  const [knownEcosystems, knownEntities, knownLeads, knownClients, entityClients] = await Promise.all([
    lookup(
      [
        ...seed.ecosystems.map((e) => e.id),
        ...seed.financial_entities.map((e) => e.ecosystem_id),
        ...seed.leads.map((l) => l.ecosystem_id),
      ],
      (ids) => db.select({ id: ecosystems.id }).from(ecosystems).where(inArray(ecosystems.id, ids)),
    ),
    lookup(
      [
        ...seed.financial_entities.map((e) => e.id),
        ...seed.leads.flatMap((l) => l.financial_entity_id ?? []),
        ...seed.users.map((u) => u.financial_entity_id),
      ],
      (ids) =>
        db
          .select({ id: financialEntities.id, ecosystemId: financialEntities.ecosystemId })
          .from(financialEntities)
          .where(inArray(financialEntities.id, ids)),
    ),
    lookup(
      seed.leads.map((l) => l.id),
      (ids) => db.select({ id: leads.id }).from(leads).where(inArray(leads.id, ids)),
    ),
    lookup(
      seed.users.map((u) => u.id),
      (ids) => db.select({ id: clients.id }).from(clients).where(inArray(clients.id, ids)),
    ),
    // Stored keys of the entities' clients: compared as the database compares them.
    lookup(
      seed.users.filter((u) => nitKey(u.nit) !== "").map((u) => u.financial_entity_id),
      (ids) =>
        db
          .select({ id: clients.id, financialEntityId: clients.financialEntityId, nitKey: clients.nitKey })
          .from(clients)
          .where(and(inArray(clients.financialEntityId, ids), isNotNull(clients.nitKey), ne(clients.nitKey, ""))),
    ),
  ]);

  const existing = {
    ecosystems: new Set(knownEcosystems.map((e) => e.id)),
    financial_entities: new Set(knownEntities.map((e) => e.id)),
    leads: new Set(knownLeads.map((l) => l.id)),
    users: new Set(knownClients.map((c) => c.id)),
  };
  for (const table of ["ecosystems", "financial_entities", "leads", "users"] as const) {
    const seen = new Set<string>();
    seed[table].forEach((row, i) => {
      if (seen.has(row.id)) issue(`${table}[${i}].id`, "appears twice in the file");
      else if (existing[table].has(row.id)) issue(`${table}[${i}].id`, "already exists in the database");
      seen.add(row.id);
    });
  }

  const ecosystemIds = new Set([...existing.ecosystems, ...seed.ecosystems.map((e) => e.id)]);
  const entityEcosystem = new Map(knownEntities.map((e) => [e.id, e.ecosystemId]));
  for (const e of seed.financial_entities) entityEcosystem.set(e.id, e.ecosystem_id);

  seed.financial_entities.forEach((e, i) => {
    if (!ecosystemIds.has(e.ecosystem_id)) issue(`financial_entities[${i}].ecosystem_id`, "no such ecosystem");
  });
  seed.leads.forEach((l, i) => {
    if (!ecosystemIds.has(l.ecosystem_id)) issue(`leads[${i}].ecosystem_id`, "no such ecosystem");
    if (l.financial_entity_id == null) return;
    const ecosystem = entityEcosystem.get(l.financial_entity_id);
    if (ecosystem === undefined) issue(`leads[${i}].financial_entity_id`, "no such financial entity");
    else if (ecosystem !== l.ecosystem_id)
      issue(`leads[${i}].financial_entity_id`, "the financial entity belongs to another ecosystem");
  });

  const clientByNit = new Map(entityClients.map((c) => [`${c.financialEntityId}/${c.nitKey}`, c.id]));
  seed.users.forEach((u, i) => {
    if (!entityEcosystem.has(u.financial_entity_id))
      issue(`users[${i}].financial_entity_id`, "no such financial entity");
    const key = `${u.financial_entity_id}/${nitKey(u.nit)}`;
    if (nitKey(u.nit) === "") return;
    const clash = clientByNit.get(key);
    if (clash !== undefined)
      issue(`users[${i}].nit`, `the financial entity already has a client with this NIT (${clash})`);
    clientByNit.set(key, u.id);
  });

  checkConversions(seed, entityEcosystem, issue);
  return { issues, entityEcosystem };
}

/**
 * A lead is `converted` exactly when it has a client: a converted lead needs a
 * user of the same file naming it in `lead_id`, and a user may only name a
 * converted lead of the file that its entity could have converted.
 */
function checkConversions(
  seed: SeedFile,
  entityEcosystem: Map<string, string>,
  issue: (path: string, message: string) => void,
) {
  const leadIndex = new Map(seed.leads.map((l, i) => [l.id, i]));
  const userOfLead = new Map<string, number>();
  seed.users.forEach((u, i) => {
    if (u.lead_id == null) return;
    const path = `users[${i}].lead_id`;
    const leadAt = leadIndex.get(u.lead_id);
    if (leadAt === undefined) return issue(path, "no such lead in this file");
    const lead = seed.leads[leadAt]!;
    if (userOfLead.has(u.lead_id)) return issue(path, `users[${userOfLead.get(u.lead_id)}] already names this lead`);
    userOfLead.set(u.lead_id, i);
    if (lead.status !== CONVERTED_LEAD_STATUS) issue(path, `leads[${leadAt}] must have status "converted"`);
    const ecosystem = entityEcosystem.get(u.financial_entity_id);
    if (ecosystem !== undefined && ecosystem !== lead.ecosystem_id)
      issue(path, `leads[${leadAt}] belongs to another ecosystem`);
    if (lead.financial_entity_id != null && lead.financial_entity_id !== u.financial_entity_id) {
      issue(path, `leads[${leadAt}] is assigned to another financial entity`);
    }
  });
  seed.leads.forEach((l, i) => {
    if (l.status === CONVERTED_LEAD_STATUS && !userOfLead.has(l.id)) {
      issue(`leads[${i}].status`, "a converted lead needs a user in this file whose lead_id names it");
    }
  });
}

function profileRow(record: SeedFile["leads"][number] | SeedFile["users"][number]) {
  return {
    image: record.image ?? null,
    name: record.name ?? null,
    lastname: record.lastname ?? null,
    businessName: record.business_name ?? null,
    quota: record.quota ?? null,
    phone: record.phone ?? null,
    email: record.email ?? null,
    nit: record.nit ?? null,
    nitKey: nitKey(record.nit),
    address: record.address ?? null,
    score: record.score ?? null,
    businessEntity: record.business_entity ?? null,
  };
}

/** The audit's subject and request id for conversions the seed loader records. */
export const SEED_SUBJECT = "seed";

export interface SeedSummary {
  ecosystems: number;
  financial_entities: number;
  leads: number;
  users: number;
}

/**
 * Validates a seed file and writes it in one transaction: either every record
 * is written or, with a {@link SeedError} naming the path of each bad field,
 * none is.
 *
 * @example
 * await loadSeed(db, JSON.parse(await readFile("seed.json", "utf8")));
 */
export async function loadSeed(db: Database, input: unknown): Promise<SeedSummary> {
  const parsed = seedFileSchema.safeParse(input);
  if (!parsed.success) {
    throw new SeedError(
      parsed.error.issues.map((issue) => ({ path: formatPath(issue.path) || "(file)", message: issue.message })),
    );
  }
  const seed = parsed.data;
  const { issues, entityEcosystem } = await crossCheck(db, seed);
  if (issues.length > 0) throw new SeedError(issues);

  const convertedAt = new Date().toISOString();
  const conversions = seed.users.flatMap((u) => (u.lead_id == null ? [] : [{ leadId: u.lead_id, client: u }]));
  // Leads first, then their clients, then the links between them: each row's foreign keys already resolve.
  const statements = [
    ...chunks(seed.ecosystems).map((rows) => db.insert(ecosystems).values(rows)),
    ...chunks(seed.financial_entities).map((rows) =>
      db
        .insert(financialEntities)
        .values(rows.map((e) => ({ id: e.id, ecosystemId: e.ecosystem_id, name: e.name, status: e.status }))),
    ),
    ...chunks(seed.leads).map((rows) =>
      db.insert(leads).values(
        rows.map((l) => ({
          id: l.id,
          ecosystemId: l.ecosystem_id,
          financialEntityId: l.financial_entity_id ?? null,
          ...profileRow(l),
          // Written unconverted; the link to its client follows, below.
          status: l.status ?? "new",
          history: l.history ?? null,
          paymentData: l.payment_data ?? null,
          apnToken: l.apn_token ?? null,
          additionalData: l.additional_data ?? null,
        })),
      ),
    ),
    ...chunks(seed.users).map((rows) =>
      db.insert(clients).values(
        rows.map((u) => ({
          id: u.id,
          financialEntityId: u.financial_entity_id,
          ecosystemId: entityEcosystem.get(u.financial_entity_id)!,
          leadId: u.lead_id ?? null,
          ...profileRow(u),
          status: u.status ?? "active",
          history: u.history ?? [],
          paymentData: u.payment_data ?? {},
          apnToken: u.apn_token ?? "",
          additionalData: u.additional_data ?? {},
        })),
      ),
    ),
    // As a conversion would: the lead records its client, entity and time, and an audit record is kept.
    ...conversions.map(({ leadId, client }) =>
      db
        .update(leads)
        .set({ financialEntityId: client.financial_entity_id, convertedClientId: client.id, convertedAt })
        .where(eq(leads.id, leadId)),
    ),
    ...chunks(conversions).map((rows) =>
      db.insert(leadConversions).values(
        rows.map(({ leadId, client }) => ({
          id: crypto.randomUUID(),
          leadId,
          clientId: client.id,
          financialEntityId: client.financial_entity_id,
          subject: SEED_SUBJECT,
          requestId: SEED_SUBJECT,
          convertedAt,
        })),
      ),
    ),
  ];
  const [first, ...rest] = statements;
  if (first !== undefined) await db.batch([first, ...rest]);
  return {
    ecosystems: seed.ecosystems.length,
    financial_entities: seed.financial_entities.length,
    leads: seed.leads.length,
    users: seed.users.length,
  };
}
