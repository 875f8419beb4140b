import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorkerTarget } from "../support/targets";
import { givenHangingBacklog, type HangingReceiver, startHangingReceiver } from "./hanging";
import { convert, givenSubscriber, TEST_VARS } from "./suite";

describe("fair delivery across entities — Worker in workerd (Queues consumer, Cron sweep)", () => {
  let target: Awaited<ReturnType<typeof startWorkerTarget>>;
  let hanging: HangingReceiver;
  beforeAll(async () => {
    hanging = await startHangingReceiver();
    target = await startWorkerTarget({ vars: TEST_VARS, testScheduled: true });
  });
  afterAll(async () => {
    await target?.close();
    await hanging?.close();
  });

  it("beside one entity's 200 deliveries to endpoints that never answer, another entity's event arrives within 5 s", async () => {
    // Due for 15 s, so the Cron sweep puts all 200 on the queue, ahead of the other entity's event.
    expect(await givenHangingBacklog(target, hanging.url, { dueAgoMs: 15_000 })).toBe(200);
    expect((await target.fetch("/__scheduled?cron=*+*+*+*+*")).status).toBe(200);
    const deadline = Date.now() + 5_000;
    while (hanging.requests() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(hanging.requests()).toBeGreaterThan(0);

    const { receiver, entity, lead, token } = await givenSubscriber(target);
    try {
      const converted = await convert(target, token, lead.id, entity.id);
      expect(converted.status).toBe(200);
      const [hook] = await receiver.until((r) => r.length >= 1, 20_000);
      const latencyMs = hook!.at - converted.answeredAt;
      console.info(`another entity's event latency beside 200 hanging deliveries (Worker): ${latencyMs} ms`);
      expect(latencyMs).toBeLessThanOrEqual(5_000);
    } finally {
      await receiver.close();
    }
  }, 60_000);
});
