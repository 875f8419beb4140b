import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:net";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookAttempts, webhookEndpoints } from "../../src/db/schema";
import type { ResolveHost } from "../../src/webhooks/pinned-transport";
import { givenConvertibleLead } from "../support/builders";
import { type HttpTarget, startNodeTarget } from "../support/targets";
import { tokenFor } from "../support/tokens";
import { startReceiver } from "./receiver";
import { convert, json, register, TEST_SCHEDULE } from "./suite";

// Host names only this test's resolver knows: real DNS would not resolve them at all.
const NAMES: Record<string, string[]> = {
  "private.hooks.test": ["127.0.0.1"],
  "mixed.hooks.test": ["93.184.215.14", "127.0.0.1"],
  "mapped.hooks.test": ["::ffff:127.0.0.1"],
  "pinned.hooks.test": ["127.0.0.1"],
};
const lookups: string[] = [];
const resolve: ResolveHost = async (hostname) => {
  lookups.push(hostname);
  const addresses = NAMES[hostname];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
  return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
};

/** A TCP listener on 127.0.0.1 that counts the connections it gets (a TLS handshake would be one). */
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

async function attemptsOf(target: HttpTarget, endpointId: string, atLeast = 1) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const rows = await target.db.select().from(webhookAttempts).where(eq(webhookAttempts.endpointId, endpointId));
    if (rows.length >= atLeast || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("webhook destinations at send time — Node entry", () => {
  let secure: HttpTarget;
  let insecure: HttpTarget;
  let listener: Awaited<ReturnType<typeof startListener>>;
  beforeAll(async () => {
    listener = await startListener();
    secure = await startNodeTarget({ WEBHOOK_RETRY_SCHEDULE: TEST_SCHEDULE }, { resolveWebhookHost: resolve });
    insecure = await startNodeTarget(
      { WEBHOOK_RETRY_SCHEDULE: TEST_SCHEDULE, WEBHOOK_ALLOW_INSECURE_URLS: "true" },
      { resolveWebhookHost: resolve },
    );
  });
  afterAll(async () => {
    await secure?.close();
    await insecure?.close();
    await listener?.close();
  });

  async function subscriberOn(target: HttpTarget, url: string) {
    const { entity, lead } = await givenConvertibleLead(target.db);
    const token = await tokenFor(entity.id, { scope: "leads:convert webhooks:manage events:read" });
    const endpoint = await register(target, token, url);
    return { entity, lead, token, endpoint };
  }

  it("a URL saved under other settings (insecure then) is not sent to: destination_not_allowed, no connection", async () => {
    // What an endpoint registered while WEBHOOK_ALLOW_INSECURE_URLS=true leaves in the table.
    const { entity, lead, token, endpoint } = await subscriberOn(secure, "https://hooks.example.com/later");
    await secure.db
      .update(webhookEndpoints)
      .set({ url: `https://127.0.0.1:${listener.port}/hook` })
      .where(eq(webhookEndpoints.id, endpoint.id));
    const before = listener.connections();
    expect((await convert(secure, token, lead.id, entity.id)).status).toBe(200);
    const [attempt] = await attemptsOf(secure, endpoint.id);
    expect(attempt).toMatchObject({ error: "destination_not_allowed", statusCode: null });
    expect(listener.connections()).toBe(before);
  });

  it.each([
    ["a name that resolves to 127.0.0.1", "private.hooks.test"],
    ["a name with one public and one private address", "mixed.hooks.test"],
    ["a name that resolves to an IPv4-mapped loopback", "mapped.hooks.test"],
  ])("%s is resolved before the send and refused: no connection reaches the listener", async (_, name) => {
    const { entity, lead, token, endpoint } = await subscriberOn(secure, `https://${name}:${listener.port}/hook`);
    const before = listener.connections();
    lookups.length = 0;
    expect((await convert(secure, token, lead.id, entity.id)).status).toBe(200);
    const [attempt] = await attemptsOf(secure, endpoint.id);
    expect(attempt).toMatchObject({ error: "destination_not_allowed", statusCode: null });
    expect(lookups).toContain(name);
    expect(listener.connections()).toBe(before);
    const log = await secure.fetch(`/events?limit=100`, json("GET", token));
    expect(log.status).toBe(200);
  });

  it("the connection goes to the address that was checked, resolved once per send, with the name as Host", async () => {
    const receiver = await startReceiver();
    try {
      const port = new URL(receiver.url).port;
      const { entity, lead, token } = await subscriberOn(insecure, `http://pinned.hooks.test:${port}/hooks`);
      lookups.length = 0;
      expect((await convert(insecure, token, lead.id, entity.id)).status).toBe(200);
      const [hook] = await receiver.until((r) => r.length >= 1);
      expect(JSON.parse(hook!.body).data.lead_id).toBe(lead.id);
      expect(lookups.filter((name) => name === "pinned.hooks.test")).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });
});
