import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookDeliveries, webhookEvents } from "../../src/db/schema";
import { givenEntity } from "../support/builders";
import { type HttpTarget, startNodeTarget } from "../support/targets";
import { tokenFor } from "../support/tokens";
import { convert, givenSubscriber, register, TEST_VARS } from "./suite";

/** A receiver on 127.0.0.1 that takes every request and never answers. */
async function startHangingReceiver() {
  const open: ServerResponse[] = [];
  let requests = 0;
  const server = createServer((_req, res) => {
    requests += 1;
    open.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hang`,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** One entity's `events × endpoints` pending deliveries, all due now, to endpoints that never answer. */
async function givenHangingBacklog(target: HttpTarget, hangingUrl: string, endpoints = 10, events = 20) {
  const entity = await givenEntity(target.db);
  const token = await tokenFor(entity.id, { scope: "webhooks:manage" });
  const ids: string[] = [];
  for (let n = 0; n < endpoints; n += 1) ids.push((await register(target, token, `${hangingUrl}/${n}`)).id);
  const at = new Date();
  for (let e = 0; e < events; e += 1) {
    const eventId = crypto.randomUUID();
    await target.db.insert(webhookEvents).values({
      id: eventId,
      financialEntityId: entity.id,
      type: "lead.converted",
      payload: JSON.stringify({ type: "lead.converted", timestamp: at.toISOString(), data: { n: e } }),
      createdAt: at.toISOString(),
    });
    await target.db.insert(webhookDeliveries).values(
      ids.map((endpointId) => ({
        id: crypto.randomUUID(),
        eventId,
        endpointId,
        nextAttemptAt: at.getTime(),
        createdAt: at.toISOString(),
      })),
    );
  }
  return endpoints * events;
}

describe("fair delivery across entities — Node entry (dispatcher)", () => {
  let target: HttpTarget;
  let hanging: Awaited<ReturnType<typeof startHangingReceiver>>;
  beforeAll(async () => {
    hanging = await startHangingReceiver();
    target = await startNodeTarget(TEST_VARS);
  });
  afterAll(async () => {
    await target?.close();
    await hanging?.close();
  });

  it("beside one entity's 200 deliveries to endpoints that never answer, another entity's event arrives within 5 s", async () => {
    expect(await givenHangingBacklog(target, hanging.url)).toBe(200);
    // The dispatcher picks the backlog up (every second) and its sends hang.
    const deadline = Date.now() + 5_000;
    while (hanging.requests() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(hanging.requests()).toBeGreaterThan(0);

    const { receiver, entity, lead, token } = await givenSubscriber(target);
    try {
      const converted = await convert(target, token, lead.id, entity.id);
      expect(converted.status).toBe(200);
      const [hook] = await receiver.until((r) => r.length >= 1, 20_000);
      const latencyMs = hook!.at - converted.answeredAt;
      console.info(`another entity's event latency beside 200 hanging deliveries (Node entry): ${latencyMs} ms`);
      expect(latencyMs).toBeLessThanOrEqual(5_000);
      // And the hanging entity holds only its share of sends.
      expect(hanging.requests()).toBeLessThanOrEqual(8);
    } finally {
      await receiver.close();
    }
  });
});
