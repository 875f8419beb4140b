import type { Database } from "../../src/db/client";
import { ecosystems, financialEntities, leads } from "../../src/db/schema";
import { nitKey } from "../../src/domain/nit-key";

export interface BenchData {
  ecosystemId: string;
  entityId: string;
  leadIds: string[];
}

/** One ecosystem, one active entity, `leadCount` unassigned leads with a full profile. */
export async function seedBenchData(db: Database, leadCount: number): Promise<BenchData> {
  const ecosystemId = crypto.randomUUID();
  const entityId = crypto.randomUUID();
  await db.insert(ecosystems).values({ id: ecosystemId, name: "Bench" });
  await db.insert(financialEntities).values({ id: entityId, ecosystemId, name: "Bench fintech" });
  const leadIds = Array.from({ length: leadCount }, () => crypto.randomUUID());
  for (let i = 0; i < leadIds.length; i += 400) {
    await db.insert(leads).values(
      leadIds.slice(i, i + 400).map((id, j) => ({
        id,
        ecosystemId,
        name: "Lead",
        lastname: `#${i + j}`,
        businessName: "Bench S.A.S.",
        quota: 1_000_000 + i + j,
        status: "qualified",
        phone: "+57 300 000 0000",
        email: "lead@example.com",
        nit: `900${i + j}`,
        nitKey: nitKey(`900${i + j}`),
        address: "Calle 1",
        score: 700,
        paymentData: { bank: "Banco" },
        additionalData: { source: "bench" },
      })),
    );
  }
  return { ecosystemId, entityId, leadIds };
}
