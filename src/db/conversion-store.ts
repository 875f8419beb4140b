import type { InArgs, InStatement, ResultSet } from "@libsql/client/http";
import { and, eq, fillPlaceholders, isNull, ne, notExists, or, type SQL, sql } from "drizzle-orm";
import { alias, type SelectedFields } from "drizzle-orm/sqlite-core";
import type { ApiKeySnapshot } from "../domain/api-key";
import { type Client, CONVERTED_LEAD_STATUS, NEW_CLIENT_STATUS } from "../domain/client";
import type { ConversionCommand, ConversionSnapshot, ConversionStore } from "../domain/conversion";
import { CONVERT_SCOPE } from "../domain/scopes";
import { type BulkItems, bulkItems, itemsParameter } from "./bulk-items";
import type { Database } from "./client";
import { callDatabase } from "./errors";
import { gatedBatch, type KeyVerdicts } from "./key-gate";
import { buildConversionEventStatements } from "./outbox";
import { clientColumns } from "./read-store";
import { apiKeys, clients, financialEntities, leadConversions, leads, webhookDeliveries } from "./schema";
import { jsonObjectOrEmpty, numberOrNull, StoredValueError } from "./stored-values";

type CommandKey = keyof ConversionCommand;

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
 * The statements of one conversion attempt. Each decides for itself whether
 * to act, so the whole attempt is a single batch with no reads in between,
 * and the last statement reports what the database looks like:
 * 1. a new client from the lead, when the lead may be converted and the
 *    entity has no client with its NIT key;
 * 2. the lead marked converted into it;
 * 3. with `on_existing_client: "link"`, the entity's client with the lead's
 *    NIT key gets the lead's profile where its own is null;
 * 4. and the lead is marked converted into that client;
 * 5. the audit record, when this attempt converted the lead (by 2 or 4);
 * 6. the read-back.
 *
 * With an integration key (`keyHash` set), the key's row is read by the same
 * batch: its `last_used_at` is touched when it is usable, a lead is converted
 * (into a new client or by a link) only when the key is usable, for this
 * entity and with the scope (the audit and the outbox follow the conversion),
 * and the outcome read reports the row as it stands. A token passes a null
 * hash and every key condition is void. Unknown, revoked and expired keys run
 * exactly these statements; only the hash differs.
 *
 * Given a bulk call's items, the same statements run once for all its leads
 * (each lead's values from its row of the items table): see
 * {@link prepareBulkConversionBatch}.
 */
function buildConversionBatch(db: Database, bulk?: BulkItems) {
  // One lead's values are bound parameters; a bulk call's per-lead values come from its items table's rows.
  const param = (name: CommandKey): SQL => (bulk ? bulk.value(name) : sql`${sql.placeholder(name)}`);
  const keyIsUsable = and(
    eq(apiKeys.keyHash, param("keyHash")),
    isNull(apiKeys.revokedAt),
    or(isNull(apiKeys.expiresAt), sql`${apiKeys.expiresAt} > ${param("at")}`),
  );
  const touchKey = db
    .update(apiKeys)
    .set({ lastUsedAt: sql`${param("at")}` })
    .where(keyIsUsable);
  const keyAllowsConversion = or(
    sql`${param("keyHash")} is null`,
    sql`exists ${db
      .select({ one: sql`1` })
      .from(apiKeys)
      .where(
        and(
          keyIsUsable,
          eq(apiKeys.financialEntityId, financialEntities.id),
          sql`exists (select 1 from json_each(${apiKeys.scopes}) where value = ${CONVERT_SCOPE})`,
        ),
      )}`,
  );
  const keySubject = db
    .select({ subject: sql`'api_key:' || ${apiKeys.id}` })
    .from(apiKeys)
    .where(eq(apiKeys.keyHash, param("keyHash")));

  const sameNit = alias(clients, "same_nit");
  // The NIT index is partial (`nit_key <> ''`). Its predicate is written as SQL, not bound: with a bound
  // value SQLite recompiles the statement on every run to check that the index still applies (~0.1 ms each).
  const sameNitIsKeyed = sql`${sameNit.nitKey} <> ''`;
  const clientWithLeadNit = db
    .select({ id: sameNit.id })
    .from(sameNit)
    .where(and(eq(sameNit.financialEntityId, financialEntities.id), eq(sameNit.nitKey, leads.nitKey), sameNitIsKeyed));

  // The rules a lead must pass to be converted by this entity — once, for both ways of converting it.
  const joinEntity = and(
    eq(financialEntities.id, param("financialEntityId")),
    eq(financialEntities.ecosystemId, leads.ecosystemId),
  );
  const leadWithEntity = <T extends SelectedFields>(fields: T) => {
    const oneLead = db.select(fields).from(leads).innerJoin(financialEntities, joinEntity);
    if (!bulk) return oneLead;
    // A bulk call's leads, found from its items: CROSS JOIN keeps SQLite from reading the ecosystem's leads and
    // scanning the items for each (convertible's `leads.id = item.lead_id` is the join). The builder adds joins to itself.
    const query = db.select(fields).from(bulk.table()).$dynamic();
    query.crossJoin(leads);
    query.innerJoin(financialEntities, joinEntity);
    return query as unknown as typeof oneLead;
  };
  const convertible = and(
    eq(leads.id, param("leadId")),
    eq(financialEntities.status, "active"),
    isNull(leads.convertedClientId),
    ne(leads.status, CONVERTED_LEAD_STATUS),
    or(isNull(leads.financialEntityId), eq(leads.financialEntityId, financialEntities.id)),
    keyAllowsConversion,
  );

  // Keys follow the table's column order, as INSERT … SELECT requires.
  const clientFieldsFromLead = {
    id: sql`${param("clientId")}`,
    financialEntityId: financialEntities.id,
    ecosystemId: financialEntities.ecosystemId,
    leadId: leads.id,
    image: leads.image,
    name: leads.name,
    lastname: leads.lastname,
    businessName: leads.businessName,
    quota: numberOrNull(leads.quota),
    phone: leads.phone,
    email: leads.email,
    nit: leads.nit,
    // The key is the lead's, computed when its NIT was written: never recomputed in SQL.
    nitKey: leads.nitKey,
    address: leads.address,
    score: numberOrNull(leads.score),
    businessEntity: leads.businessEntity,
    status: sql`${NEW_CLIENT_STATUS}`,
    history: sql`'[]'`,
    paymentData: jsonObjectOrEmpty(leads.paymentData),
    apnToken: sql`''`,
    additionalData: jsonObjectOrEmpty(leads.additionalData),
    createdAt: sql`${param("at")}`,
  };
  const mayMakeClient = and(convertible, notExists(clientWithLeadNit));
  const insertClient = db
    .insert(clients)
    .select(bulk ? firstOfEachNit() : leadWithEntity(clientFieldsFromLead).where(mayMakeClient).getSQL());

  /**
   * A bulk call converts its leads in request order: of the leads that may be converted with the same NIT key, the
   * first one's client makes the others a clash, as if each lead's statements ran in turn. Ranked once over the
   * candidates (an empty or missing key clashes with nothing).
   */
  function firstOfEachNit(): SQL {
    const names = Object.keys(clientFieldsFromLead) as (keyof typeof clientFieldsFromLead)[];
    const column = (i: number) => sql.identifier(`c${i}`);
    const candidates = leadWithEntity({
      ...Object.fromEntries(names.map((name, i) => [name, sql`${clientFieldsFromLead[name]}`.as(`c${i}`)])),
      nitRank:
        sql`row_number() over (partition by case when ${leads.nitKey} <> '' then 'nit:' || ${leads.nitKey} else 'lead:' || ${leads.id} end order by "item"."ord")`.as(
          "nit_rank",
        ),
    }).where(mayMakeClient);
    return sql`select ${sql.join(
      names.map((_, i) => column(i)),
      sql`, `,
    )} from (${candidates}) where "nit_rank" = 1`;
  }

  const newClient = db
    .select({ one: sql`1` })
    .from(clients)
    .where(eq(clients.id, param("clientId")));
  let markLeadConverted = db
    .update(leads)
    .set({
      status: CONVERTED_LEAD_STATUS,
      financialEntityId: sql`${param("financialEntityId")}`,
      convertedClientId: sql`${param("clientId")}`,
      convertedAt: sql`${param("at")}`,
    })
    .where(and(eq(leads.id, param("leadId")), sql`exists ${newClient}`));
  if (bulk) markLeadConverted = markLeadConverted.from(bulk.table()) as unknown as typeof markLeadConverted;

  // The client to link into: only asked for, and only for a lead the rules above let through.
  const linkTarget = leadWithEntity({ id: sameNit.id })
    .innerJoin(
      sameNit,
      and(eq(sameNit.financialEntityId, financialEntities.id), eq(sameNit.nitKey, leads.nitKey), sameNitIsKeyed),
    )
    .where(and(convertible, eq(param("onExistingClient"), "link")))
    .limit(1);
  const fromLead = (column: (typeof LINK_FILLED_FIELDS)[number]) =>
    sql`coalesce(${clients[column]}, (select ${leadValue(column)} from ${leads} where ${leads.id} = ${param("leadId")}))`;
  const fillLinkedClient = db
    .update(clients)
    .set(Object.fromEntries(LINK_FILLED_FIELDS.map((column) => [column, fromLead(column)])))
    .where(eq(clients.id, sql`(${linkTarget})`));
  const markLeadLinked = db
    .update(leads)
    .set({
      status: CONVERTED_LEAD_STATUS,
      financialEntityId: sql`${param("financialEntityId")}`,
      convertedClientId: sql`(${linkTarget})`,
      convertedAt: sql`${param("at")}`,
    })
    .where(and(eq(leads.id, param("leadId")), sql`(${linkTarget}) is not null`));

  // Converted by this attempt: converted now, for this entity, and not yet audited (every converted lead has one record).
  const audited = db
    .select({ one: sql`1` })
    .from(leadConversions)
    .where(eq(leadConversions.leadId, param("leadId")));
  const auditFields = {
    id: sql`${param("auditId")}`,
    leadId: leads.id,
    clientId: clients.id,
    financialEntityId: clients.financialEntityId,
    subject: sql`coalesce((${keySubject}), ${param("subject")})`,
    requestId: sql`${param("requestId")}`,
    convertedAt: sql`${param("at")}`,
    linked: sql`${clients.leadId} is not ${leads.id}`,
  };
  const convertedNow = and(
    eq(leads.id, param("leadId")),
    eq(leads.convertedAt, param("at")),
    eq(clients.financialEntityId, param("financialEntityId")),
    notExists(audited),
  );
  const recordConversion = db
    .insert(leadConversions)
    .select(
      (bulk ? db.select(auditFields).from(bulk.table()).crossJoin(leads) : db.select(auditFields).from(leads))
        .innerJoin(clients, eq(clients.id, leads.convertedClientId))
        .where(convertedNow)
        .getSQL(),
    );

  const outcomeFields = {
    entityId: financialEntities.id,
    entityEcosystemId: financialEntities.ecosystemId,
    entityStatus: financialEntities.status,
    leadId: leads.id,
    leadEcosystemId: leads.ecosystemId,
    leadEntityId: leads.financialEntityId,
    leadStatus: leads.status,
    leadLinked: sql<number>`${clients.leadId} is not ${leads.id}`,
    conversionAuditId: sql<
      string | null
    >`(select ${leadConversions.id} from ${leadConversions} where ${leadConversions.leadId} = ${leads.id})`,
    client: clientColumns,
    nitConflictClientId: sql<string | null>`(${clientWithLeadNit.limit(1)})`,
    apiKey: {
      id: apiKeys.id,
      financialEntityId: apiKeys.financialEntityId,
      scopes: apiKeys.scopes,
      expiresAt: apiKeys.expiresAt,
      revokedAt: apiKeys.revokedAt,
    },
  };
  // One row per lead — a bulk call's in request order — with the deliveries its event got.
  const outcome = db
    .select({
      ...outcomeFields,
      deliveries: sql<number>`(select count(*) from ${webhookDeliveries} where ${webhookDeliveries.eventId} = ${param("eventId")})`,
    })
    .from(bulk ? bulk.table() : sql`(select 1) as "attempt"`)
    .leftJoin(financialEntities, eq(financialEntities.id, param("financialEntityId")))
    .leftJoin(leads, eq(leads.id, param("leadId")))
    .leftJoin(clients, eq(clients.id, leads.convertedClientId))
    .leftJoin(apiKeys, eq(apiKeys.keyHash, param("keyHash")))
    .$dynamic();
  if (bulk) outcome.orderBy(sql`"item"."ord"`);
  const readOutcome = outcome.prepare();

  const convert = [touchKey, insertClient, markLeadConverted].map((q) => q.toSQL());
  // A bulk call links lead by lead (prepareConversionBatch), so its batch has no link statements.
  const link = bulk ? [] : [fillLinkedClient, markLeadLinked].map((q) => q.toSQL());
  // The audit record, then the outbox: the lead.converted event and its deliveries, only when this attempt
  // converted the lead; the read-back last.
  const after = [recordConversion.toSQL(), ...buildConversionEventStatements(bulk), readOutcome.getQuery()];
  // Without "link" the two link statements can do nothing: leaving them out saves their cost, per lead in a bulk call.
  return { statements: [...convert, ...link, ...after], withoutLink: [...convert, ...after], readOutcome };
}

export { StoredValueError } from "./stored-values";

type OutcomeRow = {
  entityId: string | null;
  entityEcosystemId: string | null;
  entityStatus: string | null;
  leadId: string | null;
  leadEcosystemId: string | null;
  leadEntityId: string | null;
  leadStatus: string | null;
  leadLinked: number | null;
  conversionAuditId: string | null;
  client: Client | null;
  nitConflictClientId: string | null;
  apiKey: ApiKeySnapshot | null;
  deliveries: number;
};

function toSnapshot(row: OutcomeRow): ConversionSnapshot {
  return {
    financialEntity:
      row.entityId === null
        ? null
        : { id: row.entityId, ecosystemId: row.entityEcosystemId!, status: row.entityStatus! },
    lead:
      row.leadId === null
        ? null
        : {
            id: row.leadId,
            ecosystemId: row.leadEcosystemId!,
            financialEntityId: row.leadEntityId,
            status: row.leadStatus!,
            client: row.client,
            linked: row.client !== null && row.leadLinked === 1,
            conversionAuditId: row.conversionAuditId,
          },
    nitConflictClientId: row.nitConflictClientId,
    apiKey: row.apiKey,
  };
}

/** Each lead's snapshot, from the batch's last result: the read-back. */
function snapshotsFrom(
  readOutcome: ReturnType<typeof buildConversionBatch>["readOutcome"],
  results: ResultSet[],
): ConversionSnapshot[] {
  let rows: OutcomeRow[];
  try {
    rows = readOutcome.mapResult(results.at(-1)!, true) as OutcomeRow[];
  } catch {
    // A decoding error quotes the value (JSON.parse does): neither it nor its cause may reach a log.
    throw new StoredValueError("a stored value read by the conversion could not be decoded");
  }
  return rows.map((row) => ({ ...toSnapshot(row), deliveriesToSend: Number(row.deliveries) }));
}

/**
 * The conversion batch, built once: the statements for one command, and how
 * to read the snapshot from its results (the last ones of the batch, for one command). The store runs it; the
 * benchmark runs it bare, as the raw limit.
 *
 * @example
 * const batch = prepareConversionBatch(db);
 * const results = await db.$client.batch(batch.statementsFor(command), "write");
 * const snapshot = batch.snapshotFrom(results);
 */
export function prepareConversionBatch(db: Database) {
  const { statements, withoutLink, readOutcome } = buildConversionBatch(db);
  return {
    statementsFor(command: ConversionCommand): InStatement[] {
      const values = command as unknown as Record<string, unknown>;
      return (command.onExistingClient === "link" ? statements : withoutLink).map((q) => ({
        sql: q.sql,
        args: fillPlaceholders(q.params, values) as InArgs,
      }));
    },
    snapshotFrom(results: ResultSet[]): ConversionSnapshot {
      return snapshotsFrom(readOutcome, results)[0]!;
    },
  };
}

/**
 * The conversion batch for the leads of one bulk call that rejects existing
 * clients, built once: the same statements as for one lead, each run once for
 * every lead, driven by the call's items (`json_each` over one JSON array, in
 * request order) — so a batch of seven statements whatever the number of
 * leads. Each lead is decided by the same rules and statements, in request
 * order: of two leads with the same NIT key, the first one that may be
 * converted gets the client and the second finds it. Linking
 * (`on_existing_client: "link"`) fills a client from several leads in turn,
 * so it stays with {@link prepareConversionBatch}, one lead after another.
 *
 * @example
 * const batch = prepareBulkConversionBatch(db);
 * const snapshots = batch.snapshotsFrom(await db.$client.batch(batch.statementsFor(commands), "write"));
 */
export function prepareBulkConversionBatch(db: Database) {
  const { withoutLink, readOutcome } = buildConversionBatch(db, bulkItems);
  return {
    statementsFor(commands: readonly ConversionCommand[]): InStatement[] {
      // Every command of a call shares the entity, time, request and credential; the items carry the rest.
      const values = { ...(commands[0] as unknown as Record<string, unknown>), items: itemsParameter(commands) };
      return withoutLink.map((q) => ({ sql: q.sql, args: fillPlaceholders(q.params, values) as InArgs }));
    },
    snapshotsFrom(results: ResultSet[]): ConversionSnapshot[] {
      return snapshotsFrom(readOutcome, results);
    },
  };
}

/** The key a conversion command acts as, as {@link gatedBatch} takes it; null for a token. */
export const keyOfCommand = (command: ConversionCommand) =>
  command.keyHash === null ? null : { keyHash: command.keyHash, at: command.at };

export interface ConversionStoreOptions {
  /** How long one attempt may take before it is reported as unavailable. */
  timeoutMs: number;
  /** What this isolate learned about keys: a refused key is never looked up again, and a known one waits for the lock. */
  keyVerdicts?: KeyVerdicts;
}

/**
 * The {@link ConversionStore} over libSQL: one `batch` call per attempt,
 * which over HTTP is one request to the database.
 *
 * @example
 * const store = createConversionStore(createDatabase(client), { timeoutMs: 5_000 });
 * const snapshot = await store.convert(command);
 */
export function createConversionStore(db: Database, options: ConversionStoreOptions): ConversionStore {
  const batch = prepareConversionBatch(db);
  return {
    async convert(command) {
      // "write" opens with BEGIN IMMEDIATE: the attempt takes the write lock
      // before it reads, so concurrent attempts queue instead of failing.
      const results = await callDatabase(
        () => gatedBatch(db, batch.statementsFor(command), "write", keyOfCommand(command), options.keyVerdicts),
        options.timeoutMs,
      );
      return batch.snapshotFrom(results);
    },
  };
}
