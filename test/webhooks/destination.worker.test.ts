import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:net";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookAttempts, webhookDeliveries, webhookEndpoints } from "../../src/db/schema";
import { givenConvertibleLead } from "../support/builders";
import { startWorkerTarget } from "../support/targets";
import { tokenFor } from "../support/tokens";
import { convert, register, TEST_SCHEDULE } from "./suite";

/** A TCP listener on 127.0.0.1 that counts the connections it gets. */
async function startListener() {
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

describe("webhook destinations at send time — Worker in workerd (Queues consumer)", () => {
  let target: Awaited<ReturnType<typeof startWorkerTarget>>;
  let listener: Awaited<ReturnType<typeof startListener>>;
  beforeAll(async () => {
    listener = await startListener();
    // WEBHOOK_ALLOW_INSECURE_URLS is not set: http: and local addresses are refused.
    target = await startWorkerTarget({ vars: { WEBHOOK_RETRY_SCHEDULE: TEST_SCHEDULE } });
  });
  afterAll(async () => {
    await target?.close();
    await listener?.close();
  });

  it.each([
    ["a loopback address over http", (port: number) => `http://127.0.0.1:${port}/hook`],
    ["localhost with trailing dots", (port: number) => `http://localhost..:${port}/hook`],
    ["an IPv4-mapped loopback", (port: number) => `https://[::ffff:127.0.0.1]:${port}/hook`],
  ])(
    "a URL saved while insecure URLs were allowed (%s) is not sent to: destination_not_allowed, no connection",
    async (_, url) => {
      const { entity, lead } = await givenConvertibleLead(target.db);
      const token = await tokenFor(entity.id, { scope: "leads:convert webhooks:manage events:read" });
      const endpoint = await register(target, token, "https://hooks.example.com/later");
      // What an endpoint registered while WEBHOOK_ALLOW_INSECURE_URLS=true leaves in the table.
      await target.db
        .update(webhookEndpoints)
        .set({ url: url(listener.port) })
        .where(eq(webhookEndpoints.id, endpoint.id));
      const before = listener.connections();
      expect((await convert(target, token, lead.id, entity.id)).status).toBe(200);

      const deadline = Date.now() + 10_000;
      let attempts = await target.db.select().from(webhookAttempts).where(eq(webhookAttempts.endpointId, endpoint.id));
      while (attempts.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        attempts = await target.db.select().from(webhookAttempts).where(eq(webhookAttempts.endpointId, endpoint.id));
      }
      expect(attempts).toHaveLength(1);
      expect(attempts[0]).toMatchObject({ attempt: 1, statusCode: null, error: "destination_not_allowed" });
      expect(listener.connections()).toBe(before);
      // Seen by the integrator as the attempt's error.
      const res = await target.fetch(`/events/${attempts[0]!.eventId}/deliveries`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      const { data } = (await res.json()) as { data: { error: string | null; status_code: number | null }[] };
      expect(data[0]).toMatchObject({ error: "destination_not_allowed", status_code: null });
      const [delivery] = await target.db
        .select()
        .from(webhookDeliveries)
        .where(eq(webhookDeliveries.endpointId, endpoint.id));
      expect(delivery!.lockId).toBeNull();
    },
  );
});
