import { and, eq, isNull, ne, notExists, or, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { CONVERTED_LEAD_STATUS, NEW_CLIENT_STATUS } from "../domain/client";
import type { ConversionCommand } from "../domain/conversion";
import { CONVERT_SCOPE } from "../domain/scopes";
import type { Database } from "./client";
import { apiKeys, clients, financialEntities, leadConversions, leads } from "./schema";
import { jsonObjectOrEmpty, numberOrNull } from "./stored-values";

export type CommandKey = keyof ConversionCommand;

/**
 * Where a command's value comes from in SQL: a bound parameter when one lead
 * is converted ({@link boundValue}), its row of the items table in a bulk call
 * (`bulkItems.value`). The only thing the two batches do not share.
 */
export type CommandValue = (name: CommandKey) => SQL;

/** One lead's values: bound parameters, filled from the command. */
export const boundValue: CommandValue = (name) => sql`${sql.placeholder(name)}`;

/**
 * The rules that decide a conversion, as SQL fragments written once: the
 * single batch (conversion-batch.ts) and the bulk batch
 * (bulk-conversion-batch.ts) are both built from them. Each statement built
 * from them decides for itself whether to act, so an attempt is one batch with
 * no reads in between.
 *
 * With an integration key (`keyHash` set), the key's row is read by the same
 * batch: its `last_used_at` is touched when it is usable, and a lead is
 * converted only when the key is usable, for this entity and with the scope.
 * A token passes a null hash and every key condition is void. Unknown, revoked
 * and expired keys run exactly these statements; only the hash differs.
 *
 * @example
 * const rules = conversionRules(db, boundValue);
 * db.select(rules.clientFieldsFromLead).from(leads).innerJoin(financialEntities, rules.joinEntity).where(rules.mayMakeClient);
 */
export function conversionRules(db: Database, value: CommandValue) {
  const keyIsUsable = and(
    eq(apiKeys.keyHash, value("keyHash")),
    isNull(apiKeys.revokedAt),
    or(isNull(apiKeys.expiresAt), sql`${apiKeys.expiresAt} > ${value("at")}`),
  );
  /** The key's `last_used_at`, when it is usable. */
  const touchKey = db
    .update(apiKeys)
    .set({ lastUsedAt: sql`${value("at")}` })
    .where(keyIsUsable);
  const keyAllowsConversion = or(
    sql`${value("keyHash")} is null`,
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
    .where(eq(apiKeys.keyHash, value("keyHash")));

  const sameNit = alias(clients, "same_nit");
  // The NIT index is partial (`nit_key <> ''`). Its predicate is written as SQL, not bound: with a bound
  // value SQLite recompiles the statement on every run to check that the index still applies (~0.1 ms each).
  const sameNitIsKeyed = sql`${sameNit.nitKey} <> ''`;
  /** The entity's client with the lead's NIT key, joined as `same_nit`. */
  const sameNitOfEntity = and(
    eq(sameNit.financialEntityId, financialEntities.id),
    eq(sameNit.nitKey, leads.nitKey),
    sameNitIsKeyed,
  );
  /** A client of the entity with the lead's NIT key (one is enough: the index makes it unique). */
  const clientWithLeadNit = db.select({ id: sameNit.id }).from(sameNit).where(sameNitOfEntity).limit(1);

  /** The entity of the command, joined to a lead of its ecosystem. */
  const joinEntity = and(
    eq(financialEntities.id, value("financialEntityId")),
    eq(financialEntities.ecosystemId, leads.ecosystemId),
  );
  // The rules a lead must pass to be converted by this entity — once, for every way of converting it.
  const convertible = and(
    eq(leads.id, value("leadId")),
    eq(financialEntities.status, "active"),
    isNull(leads.convertedClientId),
    ne(leads.status, CONVERTED_LEAD_STATUS),
    or(isNull(leads.financialEntityId), eq(leads.financialEntityId, financialEntities.id)),
    keyAllowsConversion,
  );
  /** A new client may be made: the lead is convertible and the entity has no client with its NIT key. */
  const mayMakeClient = and(convertible, notExists(clientWithLeadNit));

  /** The new client's row, from the lead. Keys follow the table's column order, as INSERT … SELECT requires. */
  const clientFieldsFromLead = {
    id: sql`${value("clientId")}`,
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
    createdAt: sql`${value("at")}`,
  };

  const newClient = db
    .select({ one: sql`1` })
    .from(clients)
    .where(eq(clients.id, value("clientId")));
  /** The lead marked converted into the new client, once that client exists. */
  const leadConverted = {
    set: {
      status: CONVERTED_LEAD_STATUS,
      financialEntityId: sql`${value("financialEntityId")}`,
      convertedClientId: sql`${value("clientId")}`,
      convertedAt: sql`${value("at")}`,
    },
    where: and(eq(leads.id, value("leadId")), sql`exists ${newClient}`),
  };

  const audited = db
    .select({ one: sql`1` })
    .from(leadConversions)
    .where(eq(leadConversions.leadId, value("leadId")));
  /** The audit record, read from the lead and the client it was converted into. */
  const auditFields = {
    id: sql`${value("auditId")}`,
    leadId: leads.id,
    clientId: clients.id,
    financialEntityId: clients.financialEntityId,
    subject: sql`coalesce((${keySubject}), ${value("subject")})`,
    requestId: sql`${value("requestId")}`,
    convertedAt: sql`${value("at")}`,
    linked: sql`${clients.leadId} is not ${leads.id}`,
  };
  // Converted by this attempt: converted now, for this entity, and not yet audited (every converted lead has one record).
  const convertedNow = and(
    eq(leads.id, value("leadId")),
    eq(leads.convertedAt, value("at")),
    eq(clients.financialEntityId, value("financialEntityId")),
    notExists(audited),
  );

  return {
    touchKey,
    sameNit,
    sameNitOfEntity,
    clientWithLeadNit,
    joinEntity,
    convertible,
    mayMakeClient,
    clientFieldsFromLead,
    leadConverted,
    auditFields,
    convertedNow,
  };
}

export type ConversionRules = ReturnType<typeof conversionRules>;
