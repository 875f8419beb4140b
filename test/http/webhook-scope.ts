import { count, desc, eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import type { Database } from "../../src/db/client";
import { webhookAttempts, webhookDeliveries, webhookEndpoints, webhookEvents } from "../../src/db/schema";
import { generateIntegrationKey } from "../../src/http/auth";
import { expectProblem } from "../contract/expect";
import type { ContractTarget } from "../contract/target";
import { givenApiKey, inThePast, readApiKey } from "../support/api-keys";
import { givenConvertibleLead, givenEntity } from "../support/builders";
import { CONVERT_PATH, conversionRequest } from "../support/requests";
import { tokenFor } from "../support/tokens";

/**
 * A target for these suites. `announces`: a redelivery that queues something
 * wakes a driver that reads the database on its own (the Worker's queue), so
 * that request's own count cannot be isolated there.
 */
export type WebhookKeysTarget = ContractTarget & { announces?: boolean };

const MANAGE = ["webhooks:manage"];
const URL_A = "https://hooks.example.com/a";

function send(method: string, credential: string, body?: unknown): RequestInit {
  return {
    method,
    headers: {
      Authorization: `Bearer ${credential}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  };
}

/**
 * An event of the entity, written by a real conversion of `leadId` (made with
 * a token), with one delivery and one recorded attempt to `endpointId` added.
 */
async function givenEvent(target: WebhookKeysTarget, entityId: string, leadId: string, endpointId: string) {
  const db = target.db;
  const token = await tokenFor(entityId, { scope: "leads:convert" });
  const converted = await target.fetch(
    CONVERT_PATH,
    conversionRequest(token, { lead_id: leadId, financial_entity_id: entityId }),
  );
  expect(converted.status).toBe(200);
  await converted.arrayBuffer();
  const [event] = await db
    .select({ id: webhookEvents.id })
    .from(webhookEvents)
    .where(eq(webhookEvents.financialEntityId, entityId))
    .orderBy(desc(webhookEvents.seq))
    .limit(1);
  const id = event!.id;
  const deliveryId = crypto.randomUUID();
  const at = new Date().toISOString();
  await db.insert(webhookDeliveries).values({
    id: deliveryId,
    eventId: id,
    endpointId,
    status: "failed",
    attempts: 1,
    nextAttemptAt: 0,
    createdAt: at,
  });
  await db.insert(webhookAttempts).values({
    id: crypto.randomUUID(),
    deliveryId,
    eventId: id,
    endpointId,
    attempt: 1,
    statusCode: 500,
    error: null,
    outcome: "failed",
    at,
  });
  return id;
}

/** An endpoint of the entity, disabled so that nothing is ever sent to it. */
async function givenEndpoint(db: Database, entityId: string) {
  const id = crypto.randomUUID();
  await db.insert(webhookEndpoints).values({
    id,
    financialEntityId: entityId,
    url: URL_A,
    description: null,
    eventTypes: ["lead.converted"],
    status: "disabled",
    disabledReason: "disabled by the financial entity",
    secret: "sealed-secret",
    createdAt: new Date().toISOString(),
  });
  return id;
}

const endpointRow = async (db: Database, id: string) =>
  (await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)))[0];
const endpointsOf = async (db: Database, entityId: string) =>
  (await db.select({ n: count() }).from(webhookEndpoints).where(eq(webhookEndpoints.financialEntityId, entityId)))[0]!
    .n;
const deliveriesOf = async (db: Database, eventId: string) =>
  (await db.select({ n: count() }).from(webhookDeliveries).where(eq(webhookDeliveries.eventId, eventId)))[0]!.n;

/**
 * Integration keys on the webhook endpoints and events API: accepted with
 * `webhooks:manage`, the key's row read by each request's own single database
 * request, refusals decided from that read, and nothing written for a key
 * that may not act.
 */
export const webhookKeys = (target: () => WebhookKeysTarget) =>
  describe("integration keys on the webhook endpoints and events API", () => {
    const measure = async (path: string, init: RequestInit) => {
      const requests = target().dbRequests;
      if (!requests) throw new Error("this target cannot count database requests");
      await requests.reset();
      const res = await target().fetch(path, init);
      const text = await res.text();
      return { status: res.status, round_trips: await requests.count(), body: text ? JSON.parse(text) : null, res };
    };
    const result = ({ status, round_trips }: { status: number; round_trips: number }) => ({ status, round_trips });

    it("a key with webhooks:manage creates, lists, reads, changes, rotates and deletes endpoints — one database request each", async () => {
      const db = target().db;
      const entity = await givenEntity(db);
      const key = await givenApiKey(db, entity.id, { scopes: MANAGE });

      const created = await measure("/webhook-endpoints", send("POST", key.key, { url: URL_A, description: "Zapier" }));
      expect(result(created)).toEqual({ status: 201, round_trips: 1 });
      const id = created.body.id as string;
      expect(created.body.secret).toMatch(/^whsec_/);
      expect((await endpointRow(db, id))?.financialEntityId).toBe(entity.id);
      const usedAt = (await readApiKey(db, key.id))?.lastUsedAt;
      expect(usedAt).not.toBeNull();

      const listed = await measure("/webhook-endpoints", send("GET", key.key));
      expect(result(listed)).toEqual({ status: 200, round_trips: 1 });
      expect(listed.body.data.map((e: { id: string }) => e.id)).toEqual([id]);
      const one = await measure(`/webhook-endpoints/${id}`, send("GET", key.key));
      expect(result(one)).toEqual({ status: 200, round_trips: 1 });
      expect(one.body.description).toBe("Zapier");
      // Reads leave last_used_at as it was (the spec lets them).
      expect((await readApiKey(db, key.id))?.lastUsedAt).toBe(usedAt);

      const patched = await measure(
        `/webhook-endpoints/${id}`,
        send("PATCH", key.key, { status: "disabled", description: "Make" }),
      );
      expect(result(patched)).toEqual({ status: 200, round_trips: 1 });
      expect(patched.body).toMatchObject({ status: "disabled", description: "Make" });
      const before = await endpointRow(db, id);
      const rotated = await measure(`/webhook-endpoints/${id}/rotate-secret`, send("POST", key.key));
      expect(result(rotated)).toEqual({ status: 200, round_trips: 1 });
      expect((await endpointRow(db, id))?.previousSecret).toBe(before?.secret);
      const deleted = await measure(`/webhook-endpoints/${id}`, send("DELETE", key.key));
      expect(result(deleted)).toEqual({ status: 204, round_trips: 1 });
      expect((await endpointRow(db, id))?.deletedAt).not.toBeNull();
      expect(result(await measure(`/webhook-endpoints/${id}`, send("GET", key.key)))).toEqual({
        status: 404,
        round_trips: 1,
      });
    });

    it("a key with webhooks:manage and events:read lists events and their deliveries and redelivers — one database request each", async () => {
      const db = target().db;
      const { entity, lead } = await givenConvertibleLead(db);
      const key = await givenApiKey(db, entity.id, { scopes: ["leads:convert", ...MANAGE, "events:read"] });
      const endpointId = await givenEndpoint(db, entity.id);
      const eventId = await givenEvent(target(), entity.id, lead.id, endpointId);

      const events = await measure("/events", send("GET", key.key));
      expect(result(events)).toEqual({ status: 200, round_trips: 1 });
      expect(events.body.data.map((e: { id: string }) => e.id)).toEqual([eventId]);
      expect(result(await measure(`/events?after=${eventId}`, send("GET", key.key)))).toEqual({
        status: 200,
        round_trips: 1,
      });
      const attempts = await measure(`/events/${eventId}/deliveries`, send("GET", key.key));
      expect(result(attempts)).toEqual({ status: 200, round_trips: 1 });
      expect(attempts.body.data).toMatchObject([
        { endpoint_id: endpointId, attempt: 1, status_code: 500, outcome: "failed" },
      ]);

      // To every enabled endpoint: there is none, so nothing is queued and nothing else reads the database.
      const usedBefore = (await readApiKey(db, key.id))?.lastUsedAt;
      expect(result(await measure(`/events/${eventId}/redeliver`, send("POST", key.key)))).toEqual({
        status: 202,
        round_trips: 1,
      });
      expect(await deliveriesOf(db, eventId)).toBe(1);
      expect((await readApiKey(db, key.id))?.lastUsedAt).not.toBe(usedBefore);

      const toOne = await measure(`/events/${eventId}/redeliver`, send("POST", key.key, { endpoint_id: endpointId }));
      expect(toOne.status).toBe(202);
      if (target().announces) {
        // The answer hands the new delivery to the queue, whose consumer then looks for what to send — its own
        // database request, after the answer (the endpoint is disabled: it finds nothing). Wait for it, so that it
        // lands in no later count; the request's own batch is the one counted above for the same statements.
        await vi.waitFor(async () => expect(await target().dbRequests!.count()).toBe(2), { timeout: 5_000 });
      } else {
        expect(toOne.round_trips).toBe(1);
      }
      expect(await deliveriesOf(db, eventId)).toBe(2);
    });

    it("a revoked key gets 401 on the very next request, from one database request — and none after — and writes nothing", async () => {
      const db = target().db;
      const { entity, lead } = await givenConvertibleLead(db);
      const key = await givenApiKey(db, entity.id, { scopes: MANAGE });
      const created = await measure("/webhook-endpoints", send("POST", key.key, { url: URL_A }));
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      await target().fetch(`/webhook-endpoints/${id}`, send("PATCH", key.key, { status: "disabled" }));
      const eventId = await givenEvent(target(), entity.id, lead.id, id);

      const jwt = await tokenFor(entity.id, { scope: "keys:manage" });
      const revoked = await target().fetch(`/api-keys/${key.id}`, send("DELETE", jwt));
      expect(revoked.status).toBe(204);
      const endpointBefore = await endpointRow(db, id);
      const usedBefore = (await readApiKey(db, key.id))?.lastUsedAt;

      let lookedUp = 0;
      for (const [method, path, body] of [
        ["POST", "/webhook-endpoints", { url: "https://hooks.example.com/b" }],
        ["GET", "/webhook-endpoints", undefined],
        ["GET", `/webhook-endpoints/${id}`, undefined],
        ["PATCH", `/webhook-endpoints/${id}`, { url: "https://hooks.example.com/c", status: "enabled" }],
        ["POST", `/webhook-endpoints/${id}/rotate-secret`, undefined],
        ["DELETE", `/webhook-endpoints/${id}`, undefined],
        ["GET", "/events", undefined],
        ["GET", `/events/${eventId}/deliveries`, undefined],
        ["POST", `/events/${eventId}/redeliver`, { endpoint_id: id }],
      ] as const) {
        const answer = await measure(path, send(method, key.key, body));
        // The database says "revoked" once; the isolate remembers it (a final state) and asks no more.
        expect({ method, path, ...result(answer) }).toEqual({
          method,
          path,
          status: 401,
          round_trips: lookedUp++ === 0 ? 1 : 0,
        });
        expect(answer.res.headers.get("www-authenticate")).toMatch(/error="invalid_token"/);
        expect(answer.body.code).toBe("unauthorized");
      }
      expect(await endpointRow(db, id)).toEqual(endpointBefore);
      expect(await endpointsOf(db, entity.id)).toBe(1);
      expect(await deliveriesOf(db, eventId)).toBe(1);
      expect((await readApiKey(db, key.id))?.lastUsedAt).toBe(usedBefore);
    });

    it("an unknown and an expired key get the same 401, from one database request, then from none", async () => {
      const db = target().db;
      const entity = await givenEntity(db);
      const expired = await givenApiKey(db, entity.id, { scopes: MANAGE, expiresAt: inThePast() });
      for (const key of [(await generateIntegrationKey()).key, expired.key]) {
        expect(result(await measure("/webhook-endpoints", send("POST", key, { url: URL_A })))).toEqual({
          status: 401,
          round_trips: 1,
        });
        expect(result(await measure("/events", send("GET", key)))).toEqual({ status: 401, round_trips: 0 });
      }
      expect(await endpointsOf(db, entity.id)).toBe(0);
      expect((await readApiKey(db, expired.id))?.lastUsedAt).toBeNull();
    });

    it("a key without webhooks:manage gets 403 insufficient_scope, from one database request, and writes nothing", async () => {
      const db = target().db;
      const { entity, lead } = await givenConvertibleLead(db);
      const key = await givenApiKey(db, entity.id, { scopes: ["leads:convert", "leads:read"] });
      const endpointId = await givenEndpoint(db, entity.id);
      const eventId = await givenEvent(target(), entity.id, lead.id, endpointId);
      const endpointBefore = await endpointRow(db, endpointId);
      for (const [method, path, body] of [
        ["POST", "/webhook-endpoints", { url: URL_A }],
        ["GET", "/webhook-endpoints", undefined],
        ["PATCH", `/webhook-endpoints/${endpointId}`, { status: "enabled" }],
        ["DELETE", `/webhook-endpoints/${endpointId}`, undefined],
        ["GET", "/events", undefined],
        ["POST", `/events/${eventId}/redeliver`, { endpoint_id: endpointId }],
      ] as const) {
        const answer = await measure(path, send(method, key.key, body));
        expect({ method, path, ...result(answer) }).toEqual({ method, path, status: 403, round_trips: 1 });
        expect(answer.body.code).toBe("insufficient_scope");
        const scope = path === "/events" ? "events:read" : "webhooks:manage";
        expect(answer.res.headers.get("www-authenticate")).toContain(`scope="${scope}"`);
      }
      expect(await endpointRow(db, endpointId)).toEqual(endpointBefore);
      expect(await endpointsOf(db, entity.id)).toBe(1);
      expect(await deliveriesOf(db, eventId)).toBe(1);
    });

    it("another entity's endpoints and events do not exist for a key: 404, from one database request, untouched", async () => {
      const db = target().db;
      const mine = await givenEntity(db);
      const { entity: theirs, lead } = await givenConvertibleLead(db);
      const key = await givenApiKey(db, mine.id, { scopes: [...MANAGE, "events:read"] });
      const endpointId = await givenEndpoint(db, theirs.id);
      const eventId = await givenEvent(target(), theirs.id, lead.id, endpointId);
      const endpointBefore = await endpointRow(db, endpointId);
      for (const [method, path, body, code] of [
        ["GET", `/webhook-endpoints/${endpointId}`, undefined, "webhook_endpoint_not_found"],
        ["PATCH", `/webhook-endpoints/${endpointId}`, { status: "enabled" }, "webhook_endpoint_not_found"],
        ["POST", `/webhook-endpoints/${endpointId}/rotate-secret`, undefined, "webhook_endpoint_not_found"],
        ["DELETE", `/webhook-endpoints/${endpointId}`, undefined, "webhook_endpoint_not_found"],
        ["GET", `/events/${eventId}/deliveries`, undefined, "event_not_found"],
        ["POST", `/events/${eventId}/redeliver`, { endpoint_id: endpointId }, "event_not_found"],
      ] as const) {
        const answer = await measure(path, send(method, key.key, body));
        expect({ method, path, ...result(answer), code: answer.body.code }).toEqual({
          method,
          path,
          status: 404,
          round_trips: 1,
          code,
        });
      }
      for (const path of ["/webhook-endpoints", "/events"]) {
        const list = await measure(path, send("GET", key.key));
        expect({ path, ...result(list), data: list.body.data }).toEqual({
          path,
          status: 200,
          round_trips: 1,
          data: [],
        });
      }
      await expectProblem(
        await target().fetch(`/events?after=${eventId}`, send("GET", key.key)),
        400,
        "validation_error",
      );
      expect(await endpointRow(db, endpointId)).toEqual(endpointBefore);
      expect(await deliveriesOf(db, eventId)).toBe(1);
    });

    it("a malformed key costs no database request", async () => {
      const entity = await givenEntity(target().db);
      const key = await givenApiKey(target().db, entity.id, { scopes: MANAGE });
      expect(result(await measure("/webhook-endpoints", send("GET", key.key.slice(0, -1))))).toEqual({
        status: 401,
        round_trips: 0,
      });
      expect(
        result(await measure("/events", send("GET", `${key.key.slice(0, -1)}${key.key.endsWith("0") ? "1" : "0"}`))),
      ).toEqual({
        status: 401,
        round_trips: 0,
      });
    });
  });
