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
  const other = statuses.filter((status) => status !== 401 && status !== 429);
  if (other.length > 0) throw new Error(`a forged key was answered ${other[0]}`);
  return {
    forged_keys: count,
    forged_key_db_requests_per_minute: requests,
    forged_key_401: statuses.filter((status) => status === 401).length,
    forged_key_429: statuses.filter((status) => status === 429).length,
  };
}
