import { readFile } from "node:fs/promises";
import { and, eq, isNull, ne, notExists, or } from "drizzle-orm";
import type { Database } from "../../src/db/client";
import { clients, ecosystems, leads } from "../../src/db/schema";
import { loadSeed } from "../../src/db/seed";

export const DEMO_DATA_FILE = new URL("../demo-data.json", import.meta.url);

/** Banco Cóndor, the active demo entity the printed token acts for. */
export const DEMO_ENTITY_ID = "5f8e0c1d-2b3a-4c5d-8e9f-a1b2c3d4e501";
const DEMO_ECOSYSTEM_ID = "0b7c2a52-6f1e-4d7a-9a57-3f0c2d1e8a01";
const FIRST_DEMO_LEAD_ID = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c01";

/** Loads the demo data set when the database has no ecosystem yet; says whether it did. */
export async function seedDemoIfEmpty(db: Database): Promise<boolean> {
  const [any] = await db.select({ id: ecosystems.id }).from(ecosystems).limit(1);
  if (any) return false;
  await loadSeed(db, JSON.parse(await readFile(DEMO_DATA_FILE, "utf8")));
  return true;
}

/**
 * A demo lead the demo entity can still convert (free, and no NIT clash), so the printed curl shows a
 * fresh conversion; once all are taken, the first one (whose curl replays).
 */
export async function convertibleDemoLead(db: Database): Promise<string> {
  const [lead] = await db
    .select({ id: leads.id })
    .from(leads)
    .where(
      and(
        eq(leads.ecosystemId, DEMO_ECOSYSTEM_ID),
        isNull(leads.convertedClientId),
        ne(leads.status, "converted"),
        or(isNull(leads.financialEntityId), eq(leads.financialEntityId, DEMO_ENTITY_ID)),
        notExists(
          db
            .select({ id: clients.id })
            .from(clients)
            .where(
              and(
                eq(clients.financialEntityId, DEMO_ENTITY_ID),
                eq(clients.nitKey, leads.nitKey),
                ne(clients.nitKey, ""),
              ),
            ),
        ),
      ),
    )
    .orderBy(leads.id)
    .limit(1);
  return lead?.id ?? FIRST_DEMO_LEAD_ID;
}
