import { prepareBulkConversionBatch } from "../src/db/conversion-store";
import { benchCommand } from "./lib/command";
import type { EdgeEnv } from "./lib/edge-env";
import { percentile, round } from "./lib/stats";

const BULK_PATH = "/turn-leads-into-clients";
const CALL_SIZE = 100;

export interface BulkResult {
  bulk_leads: number;
  bulk_conversions_per_s: number;
  single_leads: number;
  single_conversions_per_s: number;
  bulk_ratio_vs_single: number;
  bulk_call_p50_ms: number;
  bulk_call_p99_ms: number;
  bulk_db_requests_per_call: number;
  /** The bulk call's database batch alone, sent by the same HTTP client (no service around it), p50. */
  bulk_batch_p50_ms: number;
}

export interface BulkSizes {
  /** Leads converted in calls of 100. */
  bulkLeads: number;
  /** Leads converted one call each (their rate is what bulk is compared with). */
  singleLeads: number;
}

/** Leads {@link measureBulk} takes from the pool. */
export const bulkLeadsNeeded = ({ bulkLeads, singleLeads }: BulkSizes) =>
  bulkLeads + singleLeads + bareLeads(bulkLeads);
const bareLeads = (bulkLeads: number) => Math.min(bulkLeads, 10 * CALL_SIZE);

/**
 * One sequential caller at the round trip the server is set to, through the
 * app in this process: `bulkLeads` distinct leads in calls of 100, then
 * `singleLeads` in single calls; every lead must convert, and each bulk call's
 * database requests are counted at the server. Then the bulk call's batch
 * alone, for up to ten calls' worth of leads, to tell the database's share
 * from the service's.
 */
export async function measureBulk(env: EdgeEnv, { bulkLeads, singleLeads }: BulkSizes): Promise<BulkResult> {
  const { entityId } = env.data;
  const bulk = env.takeLeads(bulkLeads);
  const single = env.takeLeads(singleLeads);
  const calls: number[] = [];
  let maxRequests = 0;
  const bulkStarted = performance.now();
  for (let i = 0; i < bulk.length; i += CALL_SIZE) {
    const leadIds = bulk.slice(i, i + CALL_SIZE);
    const at = performance.now();
    const requests = await env.counted(async () => {
      const res = await env.postInProcess(BULK_PATH, { financial_entity_id: entityId, lead_ids: leadIds });
      if (res.status !== 200) throw new Error(`a bulk call answered ${res.status}`);
      const { results } = (await res.json()) as { results: { status: number }[] };
      const converted = results.filter((item) => item.status === 200).length;
      if (converted !== leadIds.length)
        throw new Error(`a bulk call converted ${converted} of ${leadIds.length} leads`);
    });
    calls.push(performance.now() - at);
    maxRequests = Math.max(maxRequests, requests);
  }
  const bulkPerSecond = bulk.length / ((performance.now() - bulkStarted) / 1000);

  const singleStarted = performance.now();
  for (const leadId of single) {
    const status = await env.convertInProcess(leadId);
    if (status !== 200) throw new Error(`a single conversion answered ${status}`);
  }
  const singlePerSecond = single.length / ((performance.now() - singleStarted) / 1000);

  const batch = prepareBulkConversionBatch(env.remote);
  const bare = env.takeLeads(bareLeads(bulkLeads));
  const bareCalls: number[] = [];
  for (let i = 0; i < bare.length; i += CALL_SIZE) {
    const at = new Date().toISOString();
    const commands = bare.slice(i, i + CALL_SIZE).map((leadId) => benchCommand(leadId, entityId, at));
    const started = performance.now();
    const snapshots = batch.snapshotsFrom(await env.remote.$client.batch(batch.statementsFor(commands), "write"));
    bareCalls.push(performance.now() - started);
    const converted = snapshots.filter((snapshot, k) => snapshot.lead?.client?.id === commands[k]!.clientId).length;
    if (converted !== commands.length)
      throw new Error(`a bare bulk batch converted ${converted} of ${commands.length} leads`);
  }

  return {
    bulk_leads: bulkLeads,
    bulk_conversions_per_s: round(bulkPerSecond),
    single_leads: singleLeads,
    single_conversions_per_s: round(singlePerSecond),
    bulk_ratio_vs_single: round(bulkPerSecond / singlePerSecond),
    bulk_call_p50_ms: round(percentile(calls, 0.5)),
    bulk_call_p99_ms: round(percentile(calls, 0.99)),
    bulk_db_requests_per_call: maxRequests,
    bulk_batch_p50_ms: round(percentile(bareCalls, 0.5)),
  };
}
