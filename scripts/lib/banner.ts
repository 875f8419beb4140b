import type { Config } from "../../src/env";
import { DEMO_ENTITY_ID } from "./demo";
import { issueToken } from "./token";

/** What `npm start` prints once the API answers: where it is, a token, and a curl that converts a lead. */
export async function printBanner(options: {
  runtime: string;
  url: string;
  config: Config;
  leadId: string;
  notes: string[];
}) {
  const { runtime, url, config, leadId, notes } = options;
  const token = await issueToken({
    secret: config.jwtSecret,
    financialEntityId: DEMO_ENTITY_ID,
    ttlSeconds: 24 * 3600,
    scope: "leads:convert webhooks:manage events:read",
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
  });
  const body = JSON.stringify({ lead_id: leadId, financial_entity_id: DEMO_ENTITY_ID });
  console.log(`
Lead-to-client API — ${runtime}
${notes.map((note) => `  ${note}`).join("\n")}
  URL:    ${url}/turn-lead-into-client      (docs: ${url}/docs)
  Token:  ${token}
          (acts for the demo entity Banco Cóndor ${DEMO_ENTITY_ID}, valid 24 h)

Convert a demo lead:
  curl -sS -X POST ${url}/turn-lead-into-client \\
    -H "Authorization: Bearer ${token}" \\
    -H "Content-Type: application/json" \\
    -d '${body}'

Receive its lead.converted event (signed, Standard Webhooks) — register a receiver first:
  curl -sS -X POST ${url}/webhook-endpoints \\
    -H "Authorization: Bearer ${token}" \\
    -H "Content-Type: application/json" \\
    -d '{"url":"http://127.0.0.1:9000/hooks"}'
  then: npm run -s receiver -- --secret <the answer's "secret"> --port 9000   (verifies and prints each event)
  (GET ${url}/events lists what was sent; README.md, "Try it", walks through a lead's whole life)

Ctrl-C stops it.
`);
}
