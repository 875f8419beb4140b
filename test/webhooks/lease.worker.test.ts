import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookAttempts, webhookDeliveries } from "../../src/db/schema";
import { givenConvertibleLead } from "../support/builders";
import { startWorkerTarget } from "../support/targets";
import { tokenFor } from "../support/tokens";
import { type HangingReceiver, startHangingReceiver } from "./hanging";
import { convert, register, TEST_VARS } from "./suite";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(50);
  }
}

describe("no delivery sent twice from an expired lease — Worker in workerd (Queues consumer)", () => {
  let target: Awaited<ReturnType<typeof startWorkerTarget>>;
  let hanging: HangingReceiver;
  beforeAll(async () => {
    hanging = await startHangingReceiver();
    // A failed attempt is tried again only after 10 minutes: any second request to a receiver here is a double send.
    target = await startWorkerTarget({
      vars: { ...TEST_VARS, WEBHOOK_RETRY_SCHEDULE: "0,600" },
      testScheduled: true,
    });
  });
  afterAll(async () => {
    await target?.close();
    await hanging?.close();
  });

  it("one event to 12 endpoints that never answer: no invocation holds more than 5, each send is recorded before its lease ends, none is sent twice", async () => {
    const { entity, lead } = await givenConvertibleLead(target.db);
    const token = await tokenFor(entity.id, { scope: "leads:convert webhooks:manage events:read" });
    const endpoints: string[] = [];
    for (let n = 0; n < 12; n += 1) endpoints.push((await register(target, token, `${hanging.url}/${n}`)).id);
    const deliveriesHeld = () =>
      target.db
        .select({
          id: webhookDeliveries.id,
          lockId: webhookDeliveries.lockId,
          lockedUntil: webhookDeliveries.lockedUntil,
        })
        .from(webhookDeliveries)
        .where(inArray(webhookDeliveries.endpointId, endpoints));

    expect((await convert(target, token, lead.id, entity.id)).status).toBe(200);
    // One queue message names all 12 deliveries; the consumer claims 5 at a time and puts the message back.
    const start = Date.now();
    while (hanging.requests() < 12 && Date.now() - start < 10_000) await sleep(25);
    expect(hanging.requests()).toBe(12);
    const held = await deliveriesHeld();
    expect(held).toHaveLength(12);
    const perLock = new Map<string, number>();
    for (const d of held) {
      expect(d.lockId).not.toBeNull();
      perLock.set(d.lockId!, (perLock.get(d.lockId!) ?? 0) + 1);
    }
    expect(Math.max(...perLock.values())).toBeLessThanOrEqual(5);
    // The sweep meanwhile finds nothing to take: every delivery is held.
    expect((await target.fetch("/__scheduled?cron=*+*+*+*+*")).status).toBe(200);

    // The sends give up after 15 s; each attempt is recorded by the runner that holds it, within its lease.
    const attempts = await until(
      () => target.db.select().from(webhookAttempts).where(inArray(webhookAttempts.endpointId, endpoints)),
      (rows) => rows.length >= 12,
      25_000,
    );
    expect(attempts).toHaveLength(12);
    const leaseOf = new Map(held.map((d) => [d.id, d.lockedUntil!]));
    for (const attempt of attempts) {
      expect(attempt).toMatchObject({ attempt: 1, statusCode: null, outcome: "retrying" });
      expect(attempt.error).toMatch(/^no answer within/);
      expect(Date.parse(attempt.at)).toBeLessThan(leaseOf.get(attempt.deliveryId)!);
    }
    const after = await deliveriesHeld();
    expect(after.every((d) => d.lockId === null)).toBe(true);
    await sleep(1_000);
    expect([...hanging.byPath().values()]).toEqual(Array(12).fill(1));
    const [one] = await target.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, held[0]!.id));
    expect(one).toMatchObject({ status: "pending", attempts: 1 });
  }, 60_000);
});
