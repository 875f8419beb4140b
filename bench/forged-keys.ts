import { generateIntegrationKey } from "../src/http/auth/integration-keys";
import { CONVERT_PATH, type EdgeEnv, postJson } from "./lib/edge-env";

export interface ForgedKeysResult {
  forged_keys: number;
  /** Database requests the forged keys cost, all from one client address within a minute. */
  forged_key_db_requests_per_minute: number;
  forged_key_401: number;
  forged_key_429: number;
}

/**
 * `count` well-formed integration keys that were never issued (their CRC32 checksum is public, so anyone can
 * mint them), each sent once to the Worker's conversion route from one client address (`CF-Connecting-IP`,
 * as Cloudflare sets it), counted at the database server. limits.md: at most 30 reach the database.
 */
export async function measureForgedKeys(env: EdgeEnv, { count }: { count: number }): Promise<ForgedKeysResult> {
  const keys = await Promise.all(Array.from({ length: count }, () => generateIntegrationKey()));
  const [leadId] = env.takeLeads(1);
  const statuses: number[] = [];
  // The budget's windows are the wall clock's minutes (Cloudflare's binding and wrangler's simulation alike):
  // keys sent across the turn of a minute meet a fresh budget halfway, so the bench starts where all 60 fit
  // in one window — it measures the budget of one minute, not two.
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 45_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 250));
  const window = Math.floor(Date.now() / 60_000);
  const requests = await env.counted(async () => {
    for (const { key } of keys) {
      const init = postJson(key, { lead_id: leadId, financial_entity_id: env.data.entityId });
      const res = await fetch(new URL(CONVERT_PATH, env.worker.url), {
        ...init,
        headers: { ...(init.headers as Record<string, string>), "CF-Connecting-IP": "203.0.113.60" },
      });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
  });
  if (Math.floor(Date.now() / 60_000) !== window)
    throw new Error(
      "the forged keys took more than 15 s and crossed the turn of a minute: their count is two windows'",
    );
  const other = statuses.filter((status) => status !== 401 && status !== 429);
  if (other.length > 0) throw new Error(`a forged key was answered ${other[0]}`);
  return {
    forged_keys: count,
    forged_key_db_requests_per_minute: requests,
    forged_key_401: statuses.filter((status) => status === 401).length,
    forged_key_429: statuses.filter((status) => status === 429).length,
  };
}
