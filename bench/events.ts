import { issueToken } from "../scripts/lib/token";
import { financialEntities } from "../src/db/schema";
import { seedBenchData } from "./lib/data";
import { BENCH_SECRET, CONVERT_PATH, type EdgeEnv, postJson } from "./lib/edge-env";
import { startNodeBench } from "./lib/node-bench";
import { type Receiver, startReceiver } from "./lib/receiver";
import { percentile, round } from "./lib/stats";

const CALLERS = 32;
/** How long an event may take to arrive before it counts as lost. */
const ARRIVAL_DEADLINE_MS = 60_000;
const SCOPES = "leads:convert webhooks:manage";

export interface EventsResult {
  event_latency_events: number;
  event_burst_events: number;
  event_latency_p50_ms: number;
  event_latency_p99_ms: number;
  event_deliveries_per_s: number;
  events_lost: number;
  events_lost_node: number;
  event_latency_worker_p50_ms: number;
  event_latency_worker_p99_ms: number;
  event_deliveries_worker_per_s: number;
  events_lost_worker: number;
}

export interface EventsSizes {
  /** Conversions timed one at a time, each waiting for its event (on each runtime). */
  latencyEvents: number;
  /** Conversions sent by 32 callers at once, for the delivery rate (on each runtime). */
  burstEvents: number;
}

/** Leads {@link measureEvents} takes from the edge pool (the Worker's part). */
export const eventsLeadsNeeded = ({ latencyEvents, burstEvents }: EventsSizes) => latencyEvents + burstEvents;

interface Target {
  fetch(path: string, init?: RequestInit): Promise<Response>;
  entityId: string;
  token: string;
  leads(count: number): string[];
}

/**
 * Conversion → signed `lead.converted` at a local receiver that answers at
 * once, on one runtime: a receiver registered through the API, then
 * conversions one at a time (the time from the conversion's answer to its
 * event's arrival), then a burst from 32 callers (deliveries per second,
 * first arrival to last). An event that has not arrived a minute after the
 * last conversion is lost.
 */
async function measureOn(target: Target, { latencyEvents, burstEvents }: EventsSizes) {
  const receiver: Receiver = await startReceiver();
  try {
    const res = await target.fetch("/webhook-endpoints", postJson(target.token, { url: receiver.url }));
    if (res.status !== 201) throw new Error(`registering the receiver answered ${res.status}`);
    receiver.useSecret(((await res.json()) as { secret: string }).secret);

    const convert = async (leadId: string) => {
      const answer = await target.fetch(
        CONVERT_PATH,
        postJson(target.token, { lead_id: leadId, financial_entity_id: target.entityId }),
      );
      await answer.arrayBuffer();
      if (answer.status !== 200) throw new Error(`a conversion answered ${answer.status}`);
      return performance.now();
    };
    const latencies: number[] = [];
    const timed = target.leads(latencyEvents);
    for (const [i, leadId] of timed.entries()) {
      const answeredAt = await convert(leadId);
      await receiver.until(i + 1, ARRIVAL_DEADLINE_MS);
      const arrival = receiver.byLead().get(leadId);
      if (arrival) latencies.push(arrival.at - answeredAt);
    }

    const burst = target.leads(burstEvents);
    await Promise.all(
      Array.from({ length: CALLERS }, async (_, caller) => {
        for (let i = caller; i < burst.length; i += CALLERS) await convert(burst[i]!);
      }),
    );
    await receiver.until(latencyEvents + burstEvents, ARRIVAL_DEADLINE_MS);
    const byLead = receiver.byLead();
    const burstArrivals = burst.map((leadId) => byLead.get(leadId)?.at).filter((at): at is number => at !== undefined);
    const spanS = (Math.max(...burstArrivals) - Math.min(...burstArrivals)) / 1000;
    if (receiver.badSignatures > 0)
      throw new Error(`${receiver.badSignatures} webhooks arrived without a valid signature`);
    return {
      p50: round(percentile(latencies, 0.5)),
      p99: round(percentile(latencies, 0.99)),
      perSecond: round(burstArrivals.length / Math.max(spanS, 0.001)),
      lost: [...timed, ...burst].filter((leadId) => !byLead.has(leadId)).length,
    };
  } finally {
    await receiver.close();
  }
}

/** The Node entry's production build on its own embedded database, its in-process dispatcher delivering. */
async function onNode(sizes: EventsSizes) {
  const server = await startNodeBench({
    name: "events",
    seed: (db) => seedBenchData(db, eventsLeadsNeeded(sizes)),
    env: { WEBHOOK_ALLOW_INSECURE_URLS: "true" },
  });
  const { data } = server;
  try {
    let next = 0;
    return await measureOn(
      {
        fetch: (path, init) => fetch(`${server.url}${path}`, init),
        entityId: data.entityId,
        token: await issueToken({ secret: BENCH_SECRET, financialEntityId: data.entityId, scope: SCOPES }),
        leads: (count) => data.leadIds.slice(next, (next += count)),
      },
      sizes,
    );
  } finally {
    await server.close();
  }
}

/** The Worker in workerd (Queues consumer) at the edge env's round trip, for an entity of its own. */
async function onWorker(env: EdgeEnv, sizes: EventsSizes) {
  const entityId = crypto.randomUUID();
  await env.db
    .insert(financialEntities)
    .values({ id: entityId, ecosystemId: env.data.ecosystemId, name: "Events fintech" });
  return measureOn(
    {
      fetch: (path, init) => fetch(new URL(path, env.worker.url), init),
      entityId,
      token: await issueToken({ secret: BENCH_SECRET, financialEntityId: entityId, scope: SCOPES }),
      leads: (count) => env.takeLeads(count),
    },
    sizes,
  );
}

/** Webhook events on both runtimes. */
export async function measureEvents(env: EdgeEnv, sizes: EventsSizes): Promise<EventsResult> {
  const worker = await onWorker(env, sizes);
  const node = await onNode(sizes);
  return {
    event_latency_events: sizes.latencyEvents,
    event_burst_events: sizes.burstEvents,
    event_latency_p50_ms: node.p50,
    event_latency_p99_ms: node.p99,
    event_deliveries_per_s: node.perSecond,
    events_lost: node.lost + worker.lost,
    events_lost_node: node.lost,
    event_latency_worker_p50_ms: worker.p50,
    event_latency_worker_p99_ms: worker.p99,
    event_deliveries_worker_per_s: worker.perSecond,
    events_lost_worker: worker.lost,
  };
}
