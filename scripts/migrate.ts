// npm run db:migrate — applies the committed migrations to TURSO_DATABASE_URL (file: or remote).
import { openNodeDatabase } from "../src/db/client-node";
import { migrateDatabase } from "../src/db/migrate";
import { DEFAULT_DATABASE_URL } from "../src/node";
import { loadDevEnv } from "./lib/dev-env";

const env = loadDevEnv();
const url = env.TURSO_DATABASE_URL || DEFAULT_DATABASE_URL;
const db = openNodeDatabase({ url, authToken: env.TURSO_AUTH_TOKEN || undefined });
try {
  const keys = await migrateDatabase(db);
  // Counts only: the collisions were reported by id, and no NIT is ever printed.
  console.log(`Migrations applied to ${url}; NIT keys changed: ${keys.leads} leads, ${keys.clients} clients.`);
} catch (error) {
  console.error(`Migration failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  db.$client.close();
}
