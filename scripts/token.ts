// npm run -s token -- <financial_entity_id> [--ttl <seconds>] [--scope "<scopes>"]
// Prints only the signed token, so `TOKEN=$(npm run -s token -- <id>)` works.
import { parseArgs } from "node:util";
import { ensureDevSecret, loadDevEnv } from "./lib/dev-env";
import { issueToken } from "./lib/token";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { ttl: { type: "string", default: "3600" }, scope: { type: "string", default: "leads:convert" } },
});
const [financialEntityId] = positionals;
const ttlSeconds = Number(values.ttl);
if (!financialEntityId || !UUID.test(financialEntityId) || !Number.isInteger(ttlSeconds) || ttlSeconds <= 0) {
  console.error('usage: npm run -s token -- <financial_entity_id (UUID)> [--ttl <seconds>] [--scope "<scopes>"]');
  process.exit(2);
}

ensureDevSecret();
const env = loadDevEnv();
console.log(
  await issueToken({
    secret: env.JWT_SECRET!,
    financialEntityId: financialEntityId.toLowerCase(),
    ttlSeconds,
    scope: values.scope,
    issuer: env.JWT_ISSUER || undefined,
    audience: env.JWT_AUDIENCE || undefined,
  }),
);
