import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { webhookAttempts, webhookDeliveries, webhookEndpoints, webhookEvents } from "../../src/db/schema";
import type { WebhookTransport } from "../../src/webhooks/deliver";
import { consumeEvents, type EventsMessage, type EventsQueue } from "../../src/webhooks/queue";
import { LEASE_MS, MAX_CLAIMED_PER_INVOCATION, RECORD_MARGIN_MS, type RunnerDeps } from "../../src/webhooks/run";
import { createSecretBox } from "../../src/webhooks/secrets";
import { createWebhookStore } from "../../src/webhooks/store";
import { givenEntity } from "../support/builders";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { silentLogger } from "../support/logs";

// The Worker's queue consumer in-process, on a real libSQL database: what one invocation claims, what it puts
// back on the queue, and how long its sends may run. The transport stands in for the network.

let database: TestDatabase;
beforeEach(async () => {
  database = await createTestDatabase();
});
afterEach(() => database.close());

/** One event of a new entity to `endpoints` endpoints of its own, every delivery due now. */
async function givenEvent(endpoints: number) {
  const { db } = database;
  const entity = await givenEntity(db);
  const at = new Date();
  const eventId = crypto.randomUUID();
  await db.insert(webhookEvents).values({
    id: eventId,
    financialEntityId: entity.id,
    type: "lead.converted",
    payload: JSON.stringify({ type: "lead.converted", timestamp: at.toISOString(), data: {} }),
    createdAt: at.toISOString(),
  });
  const deliveryIds: string[] = [];
  for (let n = 0; n < endpoints; n += 1) {
    const endpointId = crypto.randomUUID();
    await db.insert(webhookEndpoints).values({
      id: endpointId,
      financialEntityId: entity.id,
      url: `https://hooks.example.com/${endpointId}`,
      eventTypes: ["lead.converted"],
      secret: `whsec_${btoa("s".repeat(32))}`,
    });
    const id = crypto.randomUUID();
    await db
      .insert(webhookDeliveries)
      .values({ id, eventId, endpointId, nextAttemptAt: at.getTime(), createdAt: at.toISOString() });
    deliveryIds.push(id);
  }
  return { eventId, deliveryIds };
}

/** A queue that keeps what is sent to it, and a batch's messages that remember how they were settled. */
function fakeQueue() {
  const sent: EventsMessage[] = [];
  const queue: EventsQueue = {
    send: async (body) => void sent.push(body),
    sendBatch: async (messages) => {
      for (const m of messages) sent.push(m.body);
    },
  };
  return { queue, sent };
}

function batchOf(bodies: EventsMessage[]) {
  const settled: string[] = [];
  const messages = bodies.map((body, i) => ({
    body,
    ack: () => void settled.push(`ack ${i}`),
    retry: () => void settled.push(`retry ${i}`),
  }));
  return { batch: { messages }, settled };
}

function depsWith(transport: WebhookTransport, now?: () => number): RunnerDeps {
  return {
    store: createWebhookStore(database.db, { timeoutMs: 5_000 }),
    secrets: createSecretBox(undefined),
    retrySchedule: [0, 60, 60],
    logger: silentLogger(),
    allowInsecureUrls: false,
    transport,
    now,
  };
}

/** Runs one consumer invocation to its end, sends in waitUntil included. */
async function consumeOnce(batch: Parameters<typeof consumeEvents>[0], deps: RunnerDeps, queue: EventsQueue) {
  const background: Promise<unknown>[] = [];
  await consumeEvents(batch, deps, queue, (work) => background.push(work));
  await Promise.all(background);
}

describe("the Worker's queue consumer: no more claimed than its lease can send", () => {
  it("claims at most 5 deliveries per invocation: 5 sends at once, each within 15 s, fit the 30 s lease less the record's margin", () => {
    expect(MAX_CLAIMED_PER_INVOCATION).toBe(5);
  });

  it("a batch naming 14 due deliveries sends 5, puts back the messages it did not finish, and in the end sends each exactly once", async () => {
    const big = await givenEvent(12);
    const small = await givenEvent(2);
    const sends: string[] = [];
    const deps = depsWith(async (url) => {
      sends.push(url);
      return { status: 204, header: () => null };
    });
    const { queue, sent } = fakeQueue();
    const first = batchOf([
      { event_id: big.eventId },
      { delivery_id: small.deliveryIds[0]! },
      { delivery_id: small.deliveryIds[1]! },
    ]);
    await consumeOnce(first.batch, deps, queue);
    expect(sends).toHaveLength(5);
    // Every message is settled, none dropped: those with work left went back on the queue first.
    expect(first.settled.sort()).toEqual(["ack 0", "ack 1", "ack 2"]);
    expect(sent.length).toBeGreaterThanOrEqual(1);
    expect(sent).toContainEqual({ event_id: big.eventId });

    // Drain what went back, one invocation per message batch, as the queue would.
    for (let round = 0; sent.length > 0 && round < 10; round += 1) {
      const again = batchOf(sent.splice(0));
      const before = sends.length;
      await consumeOnce(again.batch, deps, queue);
      expect(sends.length - before).toBeLessThanOrEqual(5);
    }
    expect(sent).toEqual([]);
    expect(sends).toHaveLength(14);
    expect(new Set(sends).size).toBe(14);
    const deliveries = await database.db.select().from(webhookDeliveries);
    expect(deliveries.map((d) => [d.status, d.attempts])).toEqual(Array(14).fill(["succeeded", 1]));
  });

  it("a send gives up before its lease ends: a claim answered 23 s late leaves a send of about 2 s, recorded within the lease", async () => {
    const { deliveryIds } = await givenEvent(1);
    let skew = 0;
    const deps = depsWith(
      (_url, { signal }) =>
        new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true })),
      () => Date.now() + skew,
    );
    const claimedAt = Date.now();
    const claim = deps.store.claim.bind(deps.store);
    deps.store = {
      ...deps.store,
      claim: async (...args) => {
        const done = await claim(...args);
        skew = 23_000;
        return done;
      },
    };
    const started = performance.now();
    await consumeOnce(batchOf([{ delivery_id: deliveryIds[0]! }]).batch, deps, fakeQueue().queue);
    expect(performance.now() - started).toBeLessThan(5_000);
    const [attempt] = await database.db
      .select()
      .from(webhookAttempts)
      .where(eq(webhookAttempts.deliveryId, deliveryIds[0]!));
    expect(attempt?.error).toMatch(/^no answer within/);
    expect(Date.parse(attempt!.at)).toBeLessThanOrEqual(claimedAt + LEASE_MS - RECORD_MARGIN_MS + 1_000);
  });

  it("a delivery whose lease has less than a second of sending left is given back unsent, due again at once", async () => {
    const { deliveryIds } = await givenEvent(1);
    let skew = 0;
    const sends: string[] = [];
    const deps = depsWith(
      async (url) => {
        sends.push(url);
        return { status: 204, header: () => null };
      },
      () => Date.now() + skew,
    );
    const claim = deps.store.claim.bind(deps.store);
    deps.store = {
      ...deps.store,
      claim: async (...args) => {
        const done = await claim(...args);
        skew = LEASE_MS - RECORD_MARGIN_MS;
        return done;
      },
    };
    await consumeOnce(batchOf([{ delivery_id: deliveryIds[0]! }]).batch, deps, fakeQueue().queue);
    expect(sends).toEqual([]);
    const [row] = await database.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryIds[0]!));
    expect(row).toMatchObject({ status: "pending", attempts: 0, lockedUntil: null, lockId: null });
  });
});
