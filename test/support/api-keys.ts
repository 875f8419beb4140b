import { eq } from "drizzle-orm";
import type { Database } from "../../src/db/client";
import { apiKeys } from "../../src/db/schema";
import { generateIntegrationKey } from "../../src/http/auth/integration-keys";

type Overrides = Partial<Omit<typeof apiKeys.$inferInsert, "keyHash" | "prefix" | "financialEntityId">>;

/** An integration key of `financialEntityId` (scope `leads:convert` unless given): its row, and its text. */
export async function givenApiKey(db: Database, financialEntityId: string, overrides: Overrides = {}) {
  const { key, hash, prefix } = await generateIntegrationKey();
  const [row] = await db
    .insert(apiKeys)
    .values({
      id: crypto.randomUUID(),
      name: "Test integration",
      scopes: ["leads:convert"],
      createdBy: "test",
      createdAt: new Date().toISOString(),
      ...overrides,
      financialEntityId,
      keyHash: hash,
      prefix,
    })
    .returning();
  return { ...row!, key };
}

export async function readApiKey(db: Database, id: string) {
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.id, id));
  return row;
}

export const inThePast = () => new Date(Date.now() - 60_000).toISOString();
export const inTheFuture = () => new Date(Date.now() + 3_600_000).toISOString();
