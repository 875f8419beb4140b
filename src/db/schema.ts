import { sql } from "drizzle-orm";
import {
  type AnySQLiteColumn,
  check,
  foreignKey,
  index,
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
    status: text({ enum: ["active", "suspended"] }).notNull().default("active"),
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
  },
  (t) => [
    foreignKey({
      name: "leads_entity_in_ecosystem_fk",
      columns: [t.financialEntityId, t.ecosystemId],
      foreignColumns: [financialEntities.id, financialEntities.ecosystemId],
    }),
    index("leads_ecosystem_idx").on(t.ecosystemId),
    index("leads_financial_entity_idx").on(t.financialEntityId),
    uniqueIndex("leads_converted_client_uq").on(t.convertedClientId),
    check(
      "leads_conversion_ck",
      sql`(${t.convertedClientId} is null) = (${t.convertedAt} is null)`,
    ),
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
    /** The lead this client was converted from; null for clients that came another way. */
    leadId: text("lead_id").references((): AnySQLiteColumn => leads.id),
    ...profileColumns(),
    status: text().notNull().default("active"),
    history: text({ mode: "json" }).$type<unknown[]>().notNull().default(sql`'[]'`),
    paymentData: text("payment_data", { mode: "json" })
      .$type<Record<string, unknown>>()
      .notNull()
      .default(sql`'{}'`),
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
    uniqueIndex("clients_entity_nit_uq")
      .on(t.financialEntityId, t.nitKey)
      .where(sql`${t.nitKey} <> ''`),
  ],
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
  },
  (t) => [
    uniqueIndex("lead_conversions_lead_uq").on(t.leadId),
    uniqueIndex("lead_conversions_client_uq").on(t.clientId),
    index("lead_conversions_entity_idx").on(t.financialEntityId),
  ],
);
