// npm start — the API on an embedded database, ready to try: migrates, loads the
// demo data into an empty database, and prints a token and a curl that converts a lead.
import { openNodeDatabase } from "../src/db/client-node";
import { migrateDatabase } from "../src/db/migrate";
import { ConfigError, parseEnv } from "../src/env";
import { DEFAULT_DATABASE_URL, DEFAULT_PORT, startNodeServer } from "../src/node";
import { convertibleDemoLead, DEMO_ENTITY_ID, seedDemoIfEmpty } from "./lib/demo";
import { ensureDevSecret, loadDevEnv } from "./lib/dev-env";
import { issueToken } from "./lib/token";

ensureDevSecret();
const env = loadDevEnv();
let config;
try {
  config = parseEnv({ ...env, TURSO_DATABASE_URL: env.TURSO_DATABASE_URL || DEFAULT_DATABASE_URL });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
const port = Number(env.PORT || DEFAULT_PORT);

const db = openNodeDatabase({ url: config.databaseUrl, authToken: config.databaseAuthToken });
await migrateDatabase(db);
const seeded = await seedDemoIfEmpty(db);
const leadId = await convertibleDemoLead(db);
db.$client.close();

const server = await startNodeServer({ config, port });
const token = await issueToken({
  secret: config.jwtSecret,
  financialEntityId: DEMO_ENTITY_ID,
  ttlSeconds: 24 * 3600,
  issuer: config.jwtIssuer,
  audience: config.jwtAudience,
});
const body = JSON.stringify({ lead_id: leadId, financial_entity_id: DEMO_ENTITY_ID });

console.log(`
Lead-to-client API (Node) on ${config.databaseUrl}${seeded ? " — demo data loaded" : ""}
  URL:    ${server.url}/turn-lead-into-client
  Token:  ${token}
          (acts for the demo entity Banco Cóndor ${DEMO_ENTITY_ID}, valid 24 h)

Convert a demo lead:
  curl -sS -X POST ${server.url}/turn-lead-into-client \\
    -H "Authorization: Bearer ${token}" \\
    -H "Content-Type: application/json" \\
    -d '${body}'

Ctrl-C stops the server.
`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}
