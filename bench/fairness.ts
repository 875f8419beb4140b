import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { issueToken } from "../scripts/lib/token";
import { financialEntities } from "../src/db/schema";
import { seedBenchData } from "./lib/data";
import { BENCH_SECRET, CONVERT_PATH, type EdgeEnv, postJson } from "./lib/edge-env";
import { startNodeBench } from "./lib/node-bench";
import { startReceiver } from "./lib/receiver";
import { percentile, round } from "./lib/stats";

/** The noisy entity's endpoints (all to a receiver that never answers) and the conversions that fill them. */
const HANGING_ENDPOINTS = 10;
const HANGING_EVENTS = 20;
const SCOPES = "leads:convert webhooks:manage";
/** The spec's bound for another entity's event beside the hanging backlog (limits.md "Fairness"). */
export const FAIRNESS_TARGET_MS = 5_000;

export interface FairnessResult {
  webhook_fairness_events: number;
  webhook_fairness_hanging_deliveries: number;
  /** Node entry: another entity's event latency beside the hanging backlog, p50 / p99 (ms). */
  webhook_fairness_other_p50_ms: number;
  webhook_fairness_other_p99_ms: number;
  /** The same on the Worker in workerd (Queues consumer). */
  webhook_fairness_other_worker_p50_ms: number;
  webhook_fairness_other_worker_p99_ms: number;
}

export interface FairnessSizes {
  /** The other entity's conversions, one at a time, each waiting for its event (on each runtime). */
  events: number;
}

/** Leads {@link measureFairness} takes from the edge pool (the Worker's part). */
export const fairnessLeadsNeeded = ({ events }: FairnessSizes) => HANGING_EVENTS + events;

/** A receiver on 127.0.0.1 that takes every request and never answers, until it is closed. */
async function startHangingReceiver() {
  const open: ServerResponse[] = [];
  const server = createServer((_req, res) => void open.push(res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hang`,
    requests: () => open.length,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface Side {
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** An entity of its own, with a token, converting the leads given. */
  noisy: { entityId: string; token: string; leads: string[] };
  quiet: { entityId: string; token: string; leads: string[] };
}

async function registered(side: Side, token: string, url: string): Promise<{ id: string; secret: string }> {
  const res = await side.fetch("/webhook-endpoints", postJson(token, { url }));
  if (res.status !== 201) throw new Error(`registering ${url} answered ${res.status}`);
  return (await res.json()) as { id: string; secret: string };
}

async function converted(side: Side, who: Side["noisy"], leadId: string): Promise<number> {
  const res = await side.fetch(
    CONVERT_PATH,
    postJson(who.token, { lead_id: leadId, financial_entity_id: who.entityId }),
  );
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`a conversion answered ${res.status}`);
  return performance.now();
}

/**
 * One entity with 10 endpoints that never answer converts 20 leads (200
 * deliveries that hang until their 15 s deadline); right after, another
 * entity converts its leads one at a time, each waiting for its signed event
 * at a receiver that answers at once. The figure: that entity's latency from
 * the conversion's answer to its event's arrival. Then the noisy endpoints
 * are deleted (cancelling what they still had pending) and the hanging
 * receiver closed, so nothing of it outlives the measurement.
 */
async function measureOn(side: Side, { events }: FairnessSizes) {
  const hanging = await startHangingReceiver();
  const receiver = await startReceiver();
  const noisyEndpoints: string[] = [];
  try {
    for (let n = 0; n < HANGING_ENDPOINTS; n += 1)
      noisyEndpoints.push((await registered(side, side.noisy.token, `${hanging.url}/${n}`)).id);
    receiver.useSecret((await registered(side, side.quiet.token, receiver.url)).secret);
    await Promise.all(side.noisy.leads.map((leadId) => converted(side, side.noisy, leadId)));
    const deadline = performance.now() + 10_000;
    while (hanging.requests() === 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (hanging.requests() === 0) throw new Error("the hanging endpoints got nothing within 10 s");

    const latencies: number[] = [];
    for (const [i, leadId] of side.quiet.leads.entries()) {
      const answeredAt = await converted(side, side.quiet, leadId);
      await receiver.until(i + 1, 30_000);
      const arrival = receiver.byLead().get(leadId);
      if (!arrival) throw new Error(`the other entity's event ${i + 1} did not arrive within 30 s`);
      latencies.push(arrival.at - answeredAt);
    }
    if (receiver.badSignatures > 0)
      throw new Error(`${receiver.badSignatures} webhooks arrived without a valid signature`);
    return {
      p50: round(percentile(latencies, 0.5)),
      p99: round(percentile(latencies, 0.99)),
      hanging: HANGING_ENDPOINTS * side.noisy.leads.length,
      events,
    };
  } finally {
    for (const id of noisyEndpoints)
      await side.fetch(`/webhook-endpoints/${id}`, {
        method: "DELETE",
        headers: { Authorization: `Bearer ${side.noisy.token}` },
      });
    await hanging.close();
    await receiver.close();
  }
}

/** The Node entry's production build on its own embedded database, its dispatcher delivering. */
async function onNode(sizes: FairnessSizes) {
  const server = await startNodeBench({
    name: "fairness",
    seed: async (db) => {
      const data = await seedBenchData(db, HANGING_EVENTS + sizes.events);
      const quietId = crypto.randomUUID();
      await db.insert(financialEntities).values({ id: quietId, ecosystemId: data.ecosystemId, name: "Quiet fintech" });
      return { ...data, quietId };
    },
    env: { WEBHOOK_ALLOW_INSECURE_URLS: "true" },
  });
  const { data } = server;
  try {
    return await measureOn(
      {
        fetch: (path, init) => fetch(`${server.url}${path}`, init),
        noisy: {
          entityId: data.entityId,
          token: await issueToken({ secret: BENCH_SECRET, financialEntityId: data.entityId, scope: SCOPES }),
          leads: data.leadIds.slice(0, HANGING_EVENTS),
        },
        quiet: {
          entityId: data.quietId,
          token: await issueToken({ secret: BENCH_SECRET, financialEntityId: data.quietId, scope: SCOPES }),
          leads: data.leadIds.slice(HANGING_EVENTS),
        },
      },
      sizes,
    );
  } finally {
    await server.close();
  }
}

/** The Worker in workerd (Queues consumer) at the edge env's round trip, two entities of its own. */
async function onWorker(env: EdgeEnv, sizes: FairnessSizes) {
  const entity = async (name: string, leads: string[]) => {
    const entityId = crypto.randomUUID();
    await env.db.insert(financialEntities).values({ id: entityId, ecosystemId: env.data.ecosystemId, name });
    return {
      entityId,
      token: await issueToken({ secret: BENCH_SECRET, financialEntityId: entityId, scope: SCOPES }),
      leads,
    };
  };
  return measureOn(
    {
      fetch: (path, init) => fetch(new URL(path, env.worker.url), init),
      noisy: await entity("Hanging fintech", env.takeLeads(HANGING_EVENTS)),
      quiet: await entity("Quiet fintech", env.takeLeads(sizes.events)),
    },
    sizes,
  );
}

/** Another entity's event latency beside one entity's 200 hanging deliveries, on both runtimes. */
export async function measureFairness(env: EdgeEnv, sizes: FairnessSizes): Promise<FairnessResult> {
  const worker = await onWorker(env, sizes);
  const node = await onNode(sizes);
  return {
    webhook_fairness_events: sizes.events,
    webhook_fairness_hanging_deliveries: node.hanging,
    webhook_fairness_other_p50_ms: node.p50,
    webhook_fairness_other_p99_ms: node.p99,
    webhook_fairness_other_worker_p50_ms: worker.p50,
    webhook_fairness_other_worker_p99_ms: worker.p99,
  };
}
