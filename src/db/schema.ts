import { sql } from "drizzle-orm";
import {
  type AnySQLiteColumn,
  check,
  foreignKey,
  index,
  integer,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

/** The profile a lead carries and a client inherits, named as in the API. */
const profileColumns = () => ({
  image: text(),
  name: text(),
  lastname: text(),
  businessName: text("business_name"),
  quota: real(),
  phone: text(),
  email: text(),
  nit: text(),
  /**
   * `nitKey(nit)` (src/domain/nit-key.ts), written with the NIT by every path;
   * the database compares these and never computes one (SQL has no NFKC).
   * NULL means not yet keyed: the migrate runner keys such rows.
   */
  nitKey: text("nit_key"),
  address: text(),
  score: real(),
  businessEntity: text("business_entity"),
});

export const ecosystems = sqliteTable("ecosystems", {
  id: text().primaryKey(),
  name: text().notNull(),
  createdAt: text("created_at").notNull().default(now),
});

export const financialEntities = sqliteTable(
  "financial_entities",
  {
    id: text().primaryKey(),
    ecosystemId: text("ecosystem_id")
      .notNull()
      .references(() => ecosystems.id),
    name: text().notNull(),
    status: text({ enum: ["active", "suspended"] })
      .notNull()
      .default("active"),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [
    // Target of the composite foreign keys that keep leads and clients inside their entity's ecosystem.
    uniqueIndex("financial_entities_id_ecosystem_uq").on(t.id, t.ecosystemId),
    index("financial_entities_ecosystem_idx").on(t.ecosystemId),
    check("financial_entities_status_ck", sql`${t.status} in ('active', 'suspended')`),
  ],
);

export const leads = sqliteTable(
  "leads",
  {
    id: text().primaryKey(),
    ecosystemId: text("ecosystem_id")
      .notNull()
      .references(() => ecosystems.id),
    /** The entity the lead is assigned to; once converted, the entity it was converted for. */
    financialEntityId: text("financial_entity_id"),
    ...profileColumns(),
    status: text().notNull().default("new"),
    history: text({ mode: "json" }).$type<unknown[]>(),
    paymentData: text("payment_data", { mode: "json" }).$type<Record<string, unknown>>(),
    apnToken: text("apn_token"),
    additionalData: text("additional_data", { mode: "json" }).$type<Record<string, unknown>>(),
    convertedClientId: text("converted_client_id").references((): AnySQLiteColumn => clients.id),
    convertedAt: text("converted_at"),
    createdAt: text("created_at").notNull().default(now),
    /** The caller's own id for the lead (`POST /leads`), unique per creating entity. */
    externalId: text("external_id"),
    /** The entity that created the lead through the API; null for leads that came another way. */
    createdBy: text("created_by").references(() => financialEntities.id),
    /** SHA-256 of the create request as normalized, so a retry with the same `external_id` can tell a replay from a conflict. */
    createDigest: text("create_digest"),
    /**
     * Bumped by every change to the row, by a trigger (migrations/0007), whoever writes it:
     * the lead's `ETag` is made from it.
     */
    version: integer().notNull().default(1),
    updatedAt: text("updated_at"),
  },
  (t) => [
    foreignKey({
      name: "leads_entity_in_ecosystem_fk",
      columns: [t.financialEntityId, t.ecosystemId],
      foreignColumns: [financialEntities.id, financialEntities.ecosystemId],
    }),
    index("leads_ecosystem_idx").on(t.ecosystemId),
    index("leads_financial_entity_idx").on(t.financialEntityId),
    // Several leads may be converted into one client (on_existing_client: "link"): the lead holds the link.
    index("leads_converted_client_idx").on(t.convertedClientId),
    // One lead per external id and creating entity: the last word when creates race.
    uniqueIndex("leads_created_by_external_id_uq")
      .on(t.createdBy, t.externalId)
      .where(sql`${t.externalId} is not null`),
    // GET /leads: the pool (financial_entity_id NULL) and an entity's own leads are ranges of these, in page order.
    index("leads_list_idx").on(t.ecosystemId, t.financialEntityId, t.createdAt, t.id),
    index("leads_list_status_idx").on(t.ecosystemId, t.financialEntityId, t.status, t.createdAt, t.id),
    // Also the NIT dedupe of lead intake (unconverted leads of one ecosystem by key): its first two columns.
    index("leads_list_nit_idx").on(t.ecosystemId, t.nitKey, t.financialEntityId, t.createdAt, t.id),
    check("leads_conversion_ck", sql`(${t.convertedClientId} is null) = (${t.convertedAt} is null)`),
  ],
);

export const clients = sqliteTable(
  "clients",
  {
    id: text().primaryKey(),
    financialEntityId: text("financial_entity_id").notNull(),
    ecosystemId: text("ecosystem_id")
      .notNull()
      .references(() => ecosystems.id),
    /**
     * The lead this client was made from; null for clients that came another
     * way. Leads linked into the client later point to it by their own
     * `converted_client_id`; this stays the first.
     */
    leadId: text("lead_id").references((): AnySQLiteColumn => leads.id),
    ...profileColumns(),
    status: text().notNull().default("active"),
    history: text({ mode: "json" }).$type<unknown[]>().notNull().default(sql`'[]'`),
    paymentData: text("payment_data", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    apnToken: text("apn_token").notNull().default(""),
    additionalData: text("additional_data", { mode: "json" })
      .$type<Record<string, unknown>>()
      .notNull()
      .default(sql`'{}'`),
    createdAt: text("created_at").notNull().default(now),
  },
  (t) => [
    foreignKey({
      name: "clients_entity_in_ecosystem_fk",
      columns: [t.financialEntityId, t.ecosystemId],
      foreignColumns: [financialEntities.id, financialEntities.ecosystemId],
    }),
    uniqueIndex("clients_lead_uq").on(t.leadId),
    uniqueIndex("clients_entity_nit_uq").on(t.financialEntityId, t.nitKey).where(sql`${t.nitKey} <> ''`),
    // GET /users, in page order; by email compared case-insensitively.
    index("clients_list_idx").on(t.financialEntityId, t.createdAt, t.id),
    index("clients_list_email_idx").on(t.financialEntityId, sql`lower(${t.email})`, t.createdAt, t.id),
  ],
);

/**
 * One row: the version of the NIT key rule (`NIT_KEY_RULE_VERSION`,
 * src/domain/nit-key.ts) the stored keys were computed with. The migrate
 * runner recomputes every key when it is older than the code's rule.
 */
export const nitKeyRule = sqliteTable(
  "nit_key_rule",
  {
    id: integer().primaryKey(),
    version: integer().notNull(),
  },
  (t) => [check("nit_key_rule_one_row", sql`${t.id} = 1`)],
);

/** One row per conversion: who converted which lead into which client, and when. */
export const leadConversions = sqliteTable(
  "lead_conversions",
  {
    id: text().primaryKey(),
    leadId: text("lead_id")
      .notNull()
      .references(() => leads.id),
    clientId: text("client_id")
      .notNull()
      .references(() => clients.id),
    financialEntityId: text("financial_entity_id")
      .notNull()
      .references(() => financialEntities.id),
    subject: text().notNull(),
    requestId: text("request_id").notNull(),
    convertedAt: text("converted_at").notNull(),
    /** The lead went into a client the entity already had, not a new one. */
    linked: integer({ mode: "boolean" }).notNull().default(false),
  },
  (t) => [
    uniqueIndex("lead_conversions_lead_uq").on(t.leadId),
    index("lead_conversions_client_idx").on(t.clientId),
    index("lead_conversions_entity_idx").on(t.financialEntityId),
  ],
);

// ───── Conversion events (webhooks): endpoints, the event outbox, deliveries and their attempts ─────

/** A destination an entity registered for its events. Soft-deleted, so delivery history keeps its endpoint. */
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text().primaryKey(),
    financialEntityId: text("financial_entity_id")
      .notNull()
      .references(() => financialEntities.id),
    url: text().notNull(),
    description: text(),
    eventTypes: text("event_types", { mode: "json" }).$type<string[]>().notNull(),
    status: text({ enum: ["enabled", "disabled"] })
      .notNull()
      .default("enabled"),
    disabledReason: text("disabled_reason"),
    /** The signing secret, sealed with WEBHOOK_SECRET_KEY when one is configured (src/webhooks/secrets.ts). */
    secret: text().notNull(),
    /** The secret before the last rotation, still signing until `previous_secret_until` (epoch ms). */
    previousSecret: text("previous_secret"),
    previousSecretUntil: integer("previous_secret_until"),
    /** Epoch ms of the first failed attempt since the last success; null while healthy. */
    failingSince: integer("failing_since"),
    createdAt: text("created_at").notNull().default(now),
    deletedAt: text("deleted_at"),
  },
  (t) => [
    index("webhook_endpoints_entity_idx").on(t.financialEntityId),
    check("webhook_endpoints_status_ck", sql`${t.status} in ('enabled', 'disabled')`),
  ],
);

/** The outbox: one row per event, written in the same batch as what it reports. `seq` orders the log. */
export const webhookEvents = sqliteTable(
  "webhook_events",
  {
    seq: integer().primaryKey({ autoIncrement: true }),
    id: text().notNull(),
    financialEntityId: text("financial_entity_id")
      .notNull()
      .references(() => financialEntities.id),
    type: text().notNull(),
    /** The exact body every attempt sends (and signs). */
    payload: text().notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("webhook_events_id_uq").on(t.id),
    index("webhook_events_entity_seq_idx").on(t.financialEntityId, t.seq),
  ],
);

/** One event to one endpoint, retried on the schedule until it succeeds or fails for good. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text().primaryKey(),
    eventId: text("event_id")
      .notNull()
      .references(() => webhookEvents.id),
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id),
    status: text({ enum: ["pending", "succeeded", "failed", "canceled"] })
      .notNull()
      .default("pending"),
    attempts: integer().notNull().default(0),
    /** Epoch ms when the next attempt is due. */
    nextAttemptAt: integer("next_attempt_at").notNull(),
    /** Epoch ms until which a runner holds it (in flight); null when nobody does. */
    lockedUntil: integer("locked_until"),
    lockId: text("lock_id"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    index("webhook_deliveries_due_idx").on(t.status, t.nextAttemptAt),
    index("webhook_deliveries_event_idx").on(t.eventId),
    index("webhook_deliveries_endpoint_idx").on(t.endpointId, t.status),
    check("webhook_deliveries_status_ck", sql`${t.status} in ('pending', 'succeeded', 'failed', 'canceled')`),
  ],
);

/** What each attempt got back, for `GET /events/{id}/deliveries`. */
export const webhookAttempts = sqliteTable(
  "webhook_attempts",
  {
    id: text().primaryKey(),
    deliveryId: text("delivery_id")
      .notNull()
      .references(() => webhookDeliveries.id),
    eventId: text("event_id").notNull(),
    endpointId: text("endpoint_id").notNull(),
    attempt: integer().notNull(),
    statusCode: integer("status_code"),
    error: text(),
    /** `succeeded`, `retrying` (another attempt is scheduled) or `failed` (the delivery gave up or the endpoint went away). */
    outcome: text().notNull(),
    at: text().notNull(),
  },
  (t) => [index("webhook_attempts_event_idx").on(t.eventId, t.at)],
);
// ───── end of conversion events ─────

/**
 * Integration keys: only the SHA-256 of the key text is kept, with its display
 * prefix. A request's own batch reads the row by `key_hash`.
 */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text().primaryKey(),
    financialEntityId: text("financial_entity_id")
      .notNull()
      .references(() => financialEntities.id),
    name: text().notNull(),
    /** A JSON array of scopes. */
    scopes: text({ mode: "json" }).$type<string[]>().notNull(),
    keyHash: text("key_hash").notNull(),
    prefix: text().notNull(),
    /** The `sub` of the token that created the key. */
    createdBy: text("created_by").notNull(),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at"),
    revokedAt: text("revoked_at"),
    lastUsedAt: text("last_used_at"),
  },
  (t) => [
    uniqueIndex("api_keys_key_hash_uq").on(t.keyHash),
    index("api_keys_entity_idx").on(t.financialEntityId, t.createdAt),
  ],
);
