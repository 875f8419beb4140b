// npm run db:migrate — applies the committed migrations to TURSO_DATABASE_URL (file: or remote).
import { openNodeDatabase } from "../src/db/client-node";
import { migrateDatabase } from "../src/db/migrate";
import { DEFAULT_DATABASE_URL } from "../src/node";
import { loadDevEnv } from "./lib/dev-env";

const env = loadDevEnv();
const url = env.TURSO_DATABASE_URL || DEFAULT_DATABASE_URL;
const db = openNodeDatabase({ url, authToken: env.TURSO_AUTH_TOKEN || undefined });
try {
  await migrateDatabase(db);
  console.log(`Migrations applied to ${url}.`);
} catch (error) {
  console.error(`Migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  db.$client.close();
}
