import { createDatabase } from "../src/db/client";
import { fairConvert } from "./fair-peer";
import type { EdgeEnv } from "./lib/edge-env";
import { percentile, round } from "./lib/stats";
import { naiveConvert } from "./naive-peer";

export const CALLERS = 32;

export interface ContentionResult {
  concurrent_callers: number;
  edge_concurrent_conversions_per_s: number;
  edge_concurrent_p99_ms: number;
  edge_workerd_concurrent_conversions_per_s: number;
  fair_peer_edge_concurrent_conversions_per_s: number;
  fair_peer_edge_concurrent_p99_ms: number;
  naive_edge_concurrent_conversions_per_s: number;
  naive_edge_concurrent_p99_ms: number;
  concurrent_ratio_vs_naive: number;
}

export interface ContentionSizes {
  /** Conversions each caller makes, ours and the fair peer. */
  perCaller: number;
  /** Conversions each caller makes through the interactive-transaction peer (it serializes). */
  naivePerCaller: number;
}

/** Leads {@link measureContention} takes from the pool. */
export const contentionLeadsNeeded = ({ perCaller, naivePerCaller }: ContentionSizes) =>
  CALLERS * (3 * perCaller + naivePerCaller);

interface Run {
  perSecond: number;
  p99Ms: number;
}

/**
 * `CALLERS` callers at once, each converting its own distinct leads one after
 * another; conversions per second over the whole run, and each conversion's
 * latency. Any attempt that does not convert fails the benchmark.
 */
async function concurrently(leadIds: string[], convert: (leadId: string) => Promise<boolean>): Promise<Run> {
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CALLERS }, async (_, caller) => {
      for (let i = caller; i < leadIds.length; i += CALLERS) {
        const at = performance.now();
        if (!(await convert(leadIds[i]!))) throw new Error("a conversion under contention did not convert");
        latencies.push(performance.now() - at);
      }
    }),
  );
  return { perSecond: leadIds.length / ((performance.now() - started) / 1000), p99Ms: percentile(latencies, 0.99) };
}

/**
 * Contention at the edge, at the round trip the server is set to: ours (the
 * app in this process, and the Worker in workerd), the fair peer (two batches)
 * and the interactive-transaction peer, which holds SQLite's single write lock
 * across its round trips so every other writer queues behind it.
 */
export async function measureContention(
  env: EdgeEnv,
  { perCaller, naivePerCaller }: ContentionSizes,
): Promise<ContentionResult> {
  const { entityId } = env.data;
  const fairDb = createDatabase(env.peerClient());
  const naiveClient = env.peerClient();
  const ours = await concurrently(
    env.takeLeads(CALLERS * perCaller),
    async (leadId) => (await env.convertInProcess(leadId)) === 200,
  );
  const onWorker = await concurrently(
    env.takeLeads(CALLERS * perCaller),
    async (leadId) => (await env.convertOnWorker(leadId)) === 200,
  );
  const fair = await concurrently(
    env.takeLeads(CALLERS * perCaller),
    async (leadId) => (await fairConvert(fairDb, leadId, entityId, entityId)) === "converted",
  );
  const naive = await concurrently(
    env.takeLeads(CALLERS * naivePerCaller),
    async (leadId) => (await naiveConvert(naiveClient, leadId, entityId, entityId)) === "converted",
  );
  return {
    concurrent_callers: CALLERS,
    edge_concurrent_conversions_per_s: round(ours.perSecond),
    edge_concurrent_p99_ms: round(ours.p99Ms),
    edge_workerd_concurrent_conversions_per_s: round(onWorker.perSecond),
    fair_peer_edge_concurrent_conversions_per_s: round(fair.perSecond),
    fair_peer_edge_concurrent_p99_ms: round(fair.p99Ms),
    naive_edge_concurrent_conversions_per_s: round(naive.perSecond),
    naive_edge_concurrent_p99_ms: round(naive.p99Ms),
    concurrent_ratio_vs_naive: round(ours.perSecond / naive.perSecond),
  };
}
