// The database's own time for one bulk batch, embedded (no network, no service):
// 100 new leads against one, the median of ten batches each. (100-lead calls over
// HTTP against single calls are measured by npm run bench: bench/bulk-calls.ts.)
//   npx tsx bench/bulk.ts
import { createBulkConversionStore } from "../src/db/bulk-conversion-store";
import { benchCommand } from "./lib/command";
import { seedBenchData } from "./lib/data";
import { freshDatabase } from "./lib/fresh-database";
import { percentile, round } from "./lib/stats";

/** The database's time for one bulk batch of `size` new leads, embedded (no network), median of `rounds`. */
async function batchTime(size: number, rounds = 10): Promise<number> {
  const { db, data, remove } = await freshDatabase("bulk", (db) => seedBenchData(db, size * rounds));
  const store = createBulkConversionStore(db, { timeoutMs: 30_000 });
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const commands = data.leadIds.slice(r * size, (r + 1) * size).map((leadId) => benchCommand(leadId, data.entityId));
    const started = performance.now();
    await store.convertMany(commands);
    samples.push(performance.now() - started);
  }
  db.$client.close();
  remove();
  return round(percentile(samples, 0.5), 2);
}

const db100 = await batchTime(100);
const db1 = await batchTime(1);
console.log(JSON.stringify({ dbMsPerBatch: { "1": db1, "100": db100 } }, null, 2));
