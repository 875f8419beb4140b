import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HttpTarget, startNodeTarget } from "../support/targets";
import { givenHangingBacklog, type HangingReceiver, startHangingReceiver } from "./hanging";
import { convert, givenSubscriber, TEST_VARS } from "./suite";

describe("fair delivery across entities — Node entry (dispatcher)", () => {
  let target: HttpTarget;
  let hanging: HangingReceiver;
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
