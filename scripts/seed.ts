// npm run db:seed -- [file.json] — validates the file, then writes all of it or nothing.
// Without a file, loads the demo data set.
import { readFile } from "node:fs/promises";
import { openNodeDatabase } from "../src/db/client-node";
import { migrateDatabase } from "../src/db/migrate";
import { loadSeed, SeedError } from "../src/db/seed";
import { DEFAULT_DATABASE_URL } from "../src/node";
import { DEMO_DATA_FILE } from "./lib/demo";
import { loadDevEnv } from "./lib/dev-env";

const file = process.argv[2];
const env = loadDevEnv();
const db = openNodeDatabase({
  url: env.TURSO_DATABASE_URL || DEFAULT_DATABASE_URL,
  authToken: env.TURSO_AUTH_TOKEN || undefined,
});
try {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file ?? DEMO_DATA_FILE, "utf8"));
  } catch (error) {
    throw new SeedError([{ path: "(file)", message: error instanceof Error ? error.message : String(error) }]);
  }
  await migrateDatabase(db);
  const summary = await loadSeed(db, data);
  console.log(`Seeded ${file ?? "the demo data set"}: ${JSON.stringify(summary)}`);
} catch (error) {
  if (!(error instanceof SeedError)) throw error;
  console.error(`Nothing was written. The seed file has problems:\n${error.message}`);
  process.exitCode = 1;
} finally {
  db.$client.close();
}
