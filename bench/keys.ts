import { issueToken } from "../scripts/lib/token";
import { createApp, inProcessRateLimits } from "../src/app";
import { BENCH_SECRET, CONVERT_PATH, type EdgeEnv, postJson } from "./lib/edge-env";
import { percentile, round } from "./lib/stats";

const FLOOD_CALLERS = 32;
/** The flooded key's conversions a minute in the 429 run. */
const FLOOD_BUDGET = 60;

export interface KeysResult {
  key_conversions: number;
  key_conversion_p50_ms: number;
  jwt_conversion_p50_ms: number;
  key_db_requests_per_conversion: number;
  rate_limited_per_s: number;
}

export interface KeysSizes {
  /** Conversions with a key, and as many with a JWT, alternating. */
  conversions: number;
  /** How long 32 callers flood one over-budget credential, for 429s per second. */
  floodSeconds: number;
}

/** Leads {@link measureKeys} takes from the pool. */
export const keysLeadsNeeded = ({ conversions }: KeysSizes) => 2 * conversions + 1;

/**
 * Integration keys and rate limits, through the app in this process with the
 * spec's default budgets (600 conversions a minute per credential), at the
 * round trip the server is set to: a key's conversion against a JWT's (the key
 * is read inside the conversion's own batch, so it adds no round trip); and,
 * with a 60-a-minute budget, 429s per second from 32 callers on one key. (The noisy
 * neighbour is measured on the Node entry: bench/noisy-neighbour.ts.)
 */
export async function measureKeys(env: EdgeEnv, { conversions, floodSeconds }: KeysSizes): Promise<KeysResult> {
  const app = createApp({
    db: env.remote,
    auth: { secret: BENCH_SECRET },
    logger: { info: () => {}, error: () => {} },
    rateLimits: inProcessRateLimits(),
  });
  const request = async (bearer: string, body: unknown) => {
    const res = await app.request(CONVERT_PATH, postJson(bearer, body));
    await res.arrayBuffer();
    return res.status;
  };
  const { entityId } = env.data;
  const manager = await issueToken({
    secret: BENCH_SECRET,
    financialEntityId: entityId,
    scope: "leads:convert keys:manage",
  });
  const created = await app.request(
    "/api-keys",
    postJson(manager, { name: "Bench integration", scopes: ["leads:convert"] }),
  );
  if (created.status !== 201) throw new Error(`creating a key answered ${created.status}`);
  const { key } = (await created.json()) as { key: string };
  const jwt = await issueToken({ secret: BENCH_SECRET, financialEntityId: entityId });

  const timed = async (bearer: string, leadId: string) => {
    const started = performance.now();
    const status = await request(bearer, { lead_id: leadId, financial_entity_id: entityId });
    if (status !== 200) throw new Error(`a conversion answered ${status}`);
    return performance.now() - started;
  };
  const keyLatencies: number[] = [];
  const jwtLatencies: number[] = [];
  let keyRequests = 0;
  for (const [keyLead, jwtLead] of pairs(env.takeLeads(2 * conversions))) {
    keyRequests += await env.counted(async () => keyLatencies.push(await timed(key, keyLead)));
    jwtLatencies.push(await timed(jwt, jwtLead));
  }

  // One key over its budget: a second app on the same database with a 60-a-minute budget, so the
  // budget is spent within the first second whatever the machine's speed; then everything answers 429.
  const small = createApp({
    db: env.remote,
    auth: { secret: BENCH_SECRET },
    logger: { info: () => {}, error: () => {} },
    rateLimits: inProcessRateLimits({ conversions: FLOOD_BUDGET, requests: 1_200 }),
  });
  const flooded = env.takeLeads(1)[0]!;
  let limited = 0;
  const floodUntil = performance.now() + floodSeconds * 1000;
  let limitedFrom = Number.POSITIVE_INFINITY;
  await Promise.all(
    Array.from({ length: FLOOD_CALLERS }, async () => {
      while (performance.now() < floodUntil) {
        const res = await small.request(
          CONVERT_PATH,
          postJson(key, { lead_id: flooded, financial_entity_id: entityId }),
        );
        await res.arrayBuffer();
        if (res.status === 429) {
          limited += 1;
          limitedFrom = Math.min(limitedFrom, performance.now());
        }
      }
    }),
  );
  const rateLimitedPerS = limited / Math.max((floodUntil - limitedFrom) / 1000, 0.001);

  return {
    key_conversions: conversions,
    key_conversion_p50_ms: round(percentile(keyLatencies, 0.5)),
    jwt_conversion_p50_ms: round(percentile(jwtLatencies, 0.5)),
    key_db_requests_per_conversion: round(keyRequests / conversions, 2),
    rate_limited_per_s: round(rateLimitedPerS),
  };
}

function* pairs(leadIds: string[]): Generator<[string, string]> {
  for (let i = 0; i + 1 < leadIds.length; i += 2) yield [leadIds[i]!, leadIds[i + 1]!];
}
