import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { webhookDeliveries, webhookEvents } from "../../src/db/schema";
import { MAX_ENDPOINTS_PER_ENTITY } from "../../src/domain/events";
import { expectProblem } from "../contract/expect";
import { type ContractTarget, roundTripsOf } from "../contract/target";
import { givenApiKey } from "../support/api-keys";
import { givenConvertibleLead } from "../support/builders";
import { CONVERT_PATH, conversionRequest } from "../support/requests";
import { tokenFor } from "../support/tokens";
import { json } from "./suite";

const url = (n: number) => `https://hooks.example.com/limits/${n}`;

async function givenEntityWithEvent(target: ContractTarget, endpoints: number) {
  const { entity, lead } = await givenConvertibleLead(target.db);
  const token = await tokenFor(entity.id, { scope: "leads:convert webhooks:manage events:read" });
  const ids: string[] = [];
  for (let n = 0; n < endpoints; n += 1) {
    const res = await target.fetch("/webhook-endpoints", json("POST", token, { url: url(n) }));
    expect(res.status).toBe(201);
    ids.push(((await res.json()) as { id: string }).id);
  }
  const converted = await target.fetch(
    CONVERT_PATH,
    conversionRequest(token, { lead_id: lead.id, financial_entity_id: entity.id }),
  );
  expect(converted.status).toBe(200);
  await converted.arrayBuffer();
  const [event] = await target.db
    .select({ id: webhookEvents.id })
    .from(webhookEvents)
    .where(eq(webhookEvents.financialEntityId, entity.id));
  return { entity, token, endpoints: ids, eventId: event!.id };
}

const pendingOf = async (target: ContractTarget, eventId: string) =>
  target.db
    .select({ endpointId: webhookDeliveries.endpointId })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.eventId, eventId), eq(webhookDeliveries.status, "pending")));

/**
 * The limits of shared/spec/limits.md on the webhook and events API: a cap on
 * endpoints, redelivery that never piles up, and `events:read` for the log.
 */
export function webhookLimits(target: () => ContractTarget) {
  describe("webhook limits (limits.md)", () => {
    it(`an entity has at most ${MAX_ENDPOINTS_PER_ENTITY} endpoints: the next is 409 limit_reached, in one database request`, async () => {
      const { entity } = await givenConvertibleLead(target().db);
      const token = await tokenFor(entity.id, { scope: "webhooks:manage" });
      for (let n = 0; n < MAX_ENDPOINTS_PER_ENTITY; n += 1) {
        const res = await target().fetch("/webhook-endpoints", json("POST", token, { url: url(n) }));
        expect(res.status, `endpoint ${n + 1}`).toBe(201);
        await res.arrayBuffer();
      }
      const send = () => target().fetch("/webhook-endpoints", json("POST", token, { url: url(99) }));
      await expectProblem(await send(), 409, "limit_reached");
      if (target().dbRequests) expect(await roundTripsOf(target(), send)).toEqual({ status: 409, round_trips: 1 });
      const list = (await (await target().fetch("/webhook-endpoints", json("GET", token))).json()) as {
        data: unknown[];
      };
      expect(list.data).toHaveLength(MAX_ENDPOINTS_PER_ENTITY);

      // Deleted endpoints do not count: deleting one frees a place.
      const first = (list.data[0] as { id: string }).id;
      expect((await target().fetch(`/webhook-endpoints/${first}`, json("DELETE", token))).status).toBe(204);
      expect((await send()).status).toBe(201);
      await expectProblem(await send(), 409, "limit_reached");
    });

    it("concurrent registrations cannot pass the cap together", async () => {
      const { entity } = await givenConvertibleLead(target().db);
      const token = await tokenFor(entity.id, { scope: "webhooks:manage" });
      const answers = await Promise.all(
        Array.from({ length: MAX_ENDPOINTS_PER_ENTITY + 10 }, (_, n) =>
          target()
            .fetch("/webhook-endpoints", json("POST", token, { url: url(n) }))
            .then(async (res) => {
              await res.arrayBuffer();
              return res.status;
            }),
        ),
      );
      expect(answers.filter((s) => s === 201)).toHaveLength(MAX_ENDPOINTS_PER_ENTITY);
      expect(answers.filter((s) => s === 409)).toHaveLength(10);
    });

    it("an integration key is held to the same cap", async () => {
      const { entity } = await givenConvertibleLead(target().db);
      const key = await givenApiKey(target().db, entity.id, { scopes: ["webhooks:manage"] });
      for (let n = 0; n < MAX_ENDPOINTS_PER_ENTITY; n += 1) {
        const res = await target().fetch("/webhook-endpoints", json("POST", key.key, { url: url(n) }));
        expect(res.status).toBe(201);
        await res.arrayBuffer();
      }
      await expectProblem(
        await target().fetch("/webhook-endpoints", json("POST", key.key, { url: url(99) })),
        409,
        "limit_reached",
      );
    });

    it("redelivery while a delivery is pending adds nothing for that endpoint: 202, one pending delivery each", async () => {
      const { token, endpoints, eventId } = await givenEntityWithEvent(target(), 3);
      expect(await pendingOf(target(), eventId)).toHaveLength(3);
      const redeliver = (body: unknown) => target().fetch(`/events/${eventId}/redeliver`, json("POST", token, body));
      for (let i = 0; i < 10; i += 1) {
        const res = await redeliver(i % 2 === 0 ? {} : { endpoint_id: endpoints[0] });
        expect(res.status).toBe(202);
        await res.arrayBuffer();
      }
      const pending = await pendingOf(target(), eventId);
      expect(pending.map((p) => p.endpointId).sort()).toEqual([...endpoints].sort());
      if (target().dbRequests)
        expect(await roundTripsOf(target(), () => redeliver({}))).toEqual({ status: 202, round_trips: 1 });
    });

    it("once a delivery is no longer pending, redelivery adds exactly one again", async () => {
      const { token, endpoints, eventId } = await givenEntityWithEvent(target(), 2);
      await target()
        .db.update(webhookDeliveries)
        .set({ status: "failed" })
        .where(and(eq(webhookDeliveries.eventId, eventId), eq(webhookDeliveries.endpointId, endpoints[0]!)));
      for (let i = 0; i < 3; i += 1) {
        const res = await target().fetch(`/events/${eventId}/redeliver`, json("POST", token, {}));
        expect(res.status).toBe(202);
        await res.arrayBuffer();
      }
      const pending = await pendingOf(target(), eventId);
      expect(pending.map((p) => p.endpointId).sort()).toEqual([...endpoints].sort());
    });

    it("reading events needs events:read: webhooks:manage alone is 403 insufficient_scope, for a token and a key", async () => {
      const { entity, eventId } = await givenEntityWithEvent(target(), 1);
      const manager = await tokenFor(entity.id, { scope: "webhooks:manage" });
      const managerKey = await givenApiKey(target().db, entity.id, { scopes: ["webhooks:manage"] });
      for (const credential of [manager, managerKey.key]) {
        for (const path of ["/events", `/events/${eventId}/deliveries`]) {
          const res = await target().fetch(path, json("GET", credential));
          const body = await expectProblem(res, 403, "insufficient_scope");
          expect(JSON.stringify(body)).not.toContain(entity.id);
        }
        // Managing endpoints and redelivering stay with webhooks:manage.
        expect((await target().fetch("/webhook-endpoints", json("GET", credential))).status).toBe(200);
        expect((await target().fetch(`/events/${eventId}/redeliver`, json("POST", credential, {}))).status).toBe(202);
      }
      const denied = await target().fetch("/events", json("GET", manager));
      expect(denied.headers.get("www-authenticate")).toContain('scope="events:read"');

      const reader = await tokenFor(entity.id, { scope: "events:read" });
      const readerKey = await givenApiKey(target().db, entity.id, { scopes: ["events:read"] });
      const unscoped = await tokenFor(entity.id, { scope: undefined });
      for (const credential of [reader, readerKey.key, unscoped]) {
        const log = await target().fetch("/events", json("GET", credential));
        expect(log.status).toBe(200);
        expect(((await log.json()) as { data: { id: string }[] }).data.map((e) => e.id)).toEqual([eventId]);
        expect((await target().fetch(`/events/${eventId}/deliveries`, json("GET", credential))).status).toBe(200);
      }
      // events:read alone manages nothing.
      await expectProblem(await target().fetch("/webhook-endpoints", json("GET", reader)), 403, "insufficient_scope");
      await expectProblem(
        await target().fetch("/webhook-endpoints", json("GET", readerKey.key)),
        403,
        "insufficient_scope",
      );
      if (target().dbRequests) {
        expect(await roundTripsOf(target(), () => target().fetch("/events", json("GET", readerKey.key)))).toEqual({
          status: 200,
          round_trips: 1,
        });
      }
    });

    it.each([
      "https://localhost../hook",
      "https://LOCALHOST.../hook",
      "https://api.localhost../hook",
      "https://127.0.0.1../hook",
      "https://0x7f.1../hook",
      "https://[::ffff:8.8.8.8]/hook", // IPv4-mapped, even of a public address
      "https://[0:0:0:0:0:ffff:7f00:1]/hook",
      "https://[::ffff:0:127.0.0.1]/hook", // IPv4-translated
      "https://[::ffff:0:808:808]/hook",
      "https://[::8.8.8.8]/hook", // IPv4-compatible
      "https://[64:ff9b::8.8.8.8]/hook", // NAT64
      "https://[64:ff9b:1::a00:1]/hook", // local-use NAT64
      "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook", // Teredo
      "https://[2002:7f00:1::1]/hook", // 6to4 of 127.0.0.1
      "https://[2002:a00:1::]/hook", // 6to4 of 10.0.0.1
      "https://[100::1]/hook", // discard-only
      "https://[100::ffff:1]/hook",
    ])("refuses %s with 400 validation_error at url", async (hostile) => {
      const { entity } = await givenConvertibleLead(target().db);
      const token = await tokenFor(entity.id, { scope: "webhooks:manage" });
      const res = await target().fetch("/webhook-endpoints", json("POST", token, { url: hostile }));
      const body = await expectProblem(res, 400, "validation_error");
      expect(body.errors).toEqual([{ path: "url", message: expect.any(String) }]);
    });

    it("still accepts public addresses next to those ranges", async () => {
      const { entity } = await givenConvertibleLead(target().db);
      const token = await tokenFor(entity.id, { scope: "webhooks:manage" });
      for (const publicUrl of [
        "https://[2002:808:808::1]/hook", // 6to4 of 8.8.8.8
        "https://[2001:4860:4860::8888]/hook",
        "https://[101::1]/hook",
        "https://hooks.example.com./hook",
      ]) {
        const res = await target().fetch("/webhook-endpoints", json("POST", token, { url: publicUrl }));
        expect(res.status, publicUrl).toBe(201);
        await res.arrayBuffer();
      }
    });

    it("a key may be created with events:read", async () => {
      const { entity } = await givenConvertibleLead(target().db);
      const admin = await tokenFor(entity.id, { scope: "keys:manage" });
      const res = await target().fetch(
        "/api-keys",
        json("POST", admin, { name: "log reader", scopes: ["events:read"] }),
      );
      expect(res.status).toBe(201);
      expect(((await res.json()) as { scopes: string[] }).scopes).toEqual(["events:read"]);
    });
  });
}
