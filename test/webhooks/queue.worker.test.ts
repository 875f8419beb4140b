import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookDeliveries, webhookEvents } from "../../src/db/schema";
import { startWorkerTarget } from "../support/targets";
import { leadEventsSuite } from "./lead-events";
import { verifyWith } from "./receiver";
import { convert, eventsSuite, givenSubscriber, TEST_VARS } from "./suite";

describe.concurrent("conversion events — Worker in workerd (Queues consumer, Cron sweep)", () => {
  let target: Awaited<ReturnType<typeof startWorkerTarget>>;
  beforeAll(async () => {
    // Secrets sealed at rest on this runtime (AES-GCM), plain on the Node one: both paths run.
    target = await startWorkerTarget({
      vars: { ...TEST_VARS, WEBHOOK_SECRET_KEY: btoa("k".repeat(32)) },
      testScheduled: true,
    });
  });
  afterAll(() => target?.close());
  eventsSuite(() => target);
  leadEventsSuite(() => target);

  it("a delivery whose queue send was lost is picked up by the Cron sweep", async () => {
    const { receiver, entity, lead, token, endpoint } = await givenSubscriber(target);
    try {
      // What a committed conversion leaves when its waitUntil send never reached the queue:
      // the event and a pending delivery in the tables, and no message anywhere.
      const eventId = crypto.randomUUID();
      const at = new Date(Date.now() - 15_000);
      const payload = JSON.stringify({
        type: "lead.converted",
        timestamp: at.toISOString(),
        data: { lead_id: crypto.randomUUID() },
      });
      await target.db.insert(webhookEvents).values({
        id: eventId,
        financialEntityId: entity.id,
        type: "lead.converted",
        payload,
        createdAt: at.toISOString(),
      });
      await target.db.insert(webhookDeliveries).values({
        id: crypto.randomUUID(),
        eventId,
        endpointId: endpoint.id,
        nextAttemptAt: at.getTime(),
        createdAt: at.toISOString(),
      });
      // A conversion after it: its event goes through the queue to the same receiver. Once that event has
      // arrived, the consumer has run, and the lost delivery must still be untouched: only the sweep finds it.
      const converted = await convert(target, token, lead.id, entity.id);
      expect(converted.status).toBe(200);
      const [sent] = await receiver.until((r) => r.length >= 1);
      expect(sent!.id).not.toBe(eventId);
      const deliveries = await target.db
        .select({
          eventId: webhookDeliveries.eventId,
          status: webhookDeliveries.status,
          attempts: webhookDeliveries.attempts,
          lockedUntil: webhookDeliveries.lockedUntil,
        })
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.endpointId, endpoint.id));
      expect(deliveries).toHaveLength(2);
      expect(deliveries.find((d) => d.eventId === eventId)).toEqual({
        eventId,
        status: "pending",
        attempts: 0,
        lockedUntil: null,
      });
      expect(receiver.received.map((hook) => hook.id)).toEqual([sent!.id]);

      const res = await target.fetch("/__scheduled?cron=*+*+*+*+*");
      expect(res.status).toBe(200);
      const hook = (await receiver.until((r) => r.length >= 2))[1];
      expect(hook!.id).toBe(eventId);
      expect(hook!.body).toBe(payload);
      verifyWith(endpoint.secret, hook!);
    } finally {
      await receiver.close();
    }
  });

  it("stores endpoint secrets sealed when WEBHOOK_SECRET_KEY is set", async () => {
    const { receiver, endpoint } = await givenSubscriber(target);
    await receiver.close();
    const row = await target.db.$client.execute({
      sql: "select secret from webhook_endpoints where id = ?",
      args: [endpoint.id],
    });
    expect(String(row.rows[0]!.secret)).toMatch(/^aesgcm:/);
    expect(String(row.rows[0]!.secret)).not.toContain(endpoint.secret.slice(6));
  });
});
