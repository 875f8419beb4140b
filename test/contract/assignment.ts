import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client";
import { webhookDeliveries, webhookEndpoints, webhookEvents } from "../../src/db/schema";
import { givenConvertibleLead, givenEntity, givenLead, readLead, suspendEntity } from "../support/builders";
import { CONVERT_PATH, conversionRequest, jsonOf } from "../support/requests";
import { tokenFor } from "../support/tokens";
import { expectProblem } from "./expect";
import { type ContractSuite, roundTripsOf } from "./target";

const WRITE_SCOPES = "leads:write leads:read";

type Target = ReturnType<Parameters<ContractSuite>[0]>;

/** `POST /leads/{id}/assign` or `/unassign` with a token of the entity (scopes `leads:write leads:read` unless told). */
export async function changeAssignment(
  target: Target,
  action: "assign" | "unassign",
  leadId: string,
  entityId: string,
  scope: string | undefined = WRITE_SCOPES,
) {
  return target.fetch(`/leads/${leadId}/${action}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${await tokenFor(entityId, { scope })}` },
  });
}

const getLead = async (target: Target, leadId: string, entityId: string) =>
  target.fetch(`/leads/${leadId}`, {
    headers: { Authorization: `Bearer ${await tokenFor(entityId, { scope: WRITE_SCOPES })}` },
  });

/** An enabled endpoint of the entity, written as the API writes one, subscribed to `eventTypes`. */
export async function givenEndpoint(db: Database, entityId: string, eventTypes: string[]) {
  const id = crypto.randomUUID();
  await db.insert(webhookEndpoints).values({
    id,
    financialEntityId: entityId,
    url: `https://hooks.example.com/${id}`,
    description: null,
    eventTypes,
    status: "enabled",
    secret: "plain-secret",
    createdAt: new Date().toISOString(),
  });
  return id;
}

/** The events about one lead, oldest first, payloads parsed. */
export async function leadEvents(db: Database, leadId: string) {
  const rows = await db.select().from(webhookEvents).orderBy(webhookEvents.seq);
  return rows
    .map((row) => ({ ...row, payload: JSON.parse(row.payload) }))
    .filter((row) => row.payload.data?.lead?.id === leadId);
}

/**
 * Cancels what these tests queued for hooks.example.com: on the Worker its queue would retry them seconds later,
 * and those reads would be counted by whatever round-trip test runs then.
 */
async function cancelDeliveries(db: Database, eventIds: string[]) {
  if (eventIds.length > 0)
    await db.update(webhookDeliveries).set({ status: "canceled" }).where(inArray(webhookDeliveries.eventId, eventIds));
}

async function deliveriesOf(db: Database, eventIds: string[]) {
  if (eventIds.length === 0) return [];
  return db.select().from(webhookDeliveries).where(inArray(webhookDeliveries.eventId, eventIds));
}

const convert = async (target: Target, leadId: string, entityId: string) => {
  const res = await target.fetch(
    CONVERT_PATH,
    conversionRequest(await tokenFor(entityId), { lead_id: leadId, financial_entity_id: entityId }),
  );
  expect(res.status).toBe(200);
};

/** Assign and unassign: every row of the spec's table, the race, BOLA, and the events each sends. */
export const assignment: ContractSuite = (target) => {
  const assign = (leadId: string, entityId: string, scope?: string) =>
    changeAssignment(target(), "assign", leadId, entityId, scope);
  const unassign = (leadId: string, entityId: string, scope?: string) =>
    changeAssignment(target(), "unassign", leadId, entityId, scope);

  describe("POST /leads/{lead_id}/assign", () => {
    it("200: a pool lead becomes the entity's; the body is the lead as GET /leads/{id} shows it", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);

      const res = await assign(lead.id.toUpperCase(), entity.id);

      expect(res.status).toBe(200);
      expect(res.headers.get("idempotent-replayed")).toBeNull();
      expect(res.headers.get("cache-control")).toBe("no-store");
      const body = await jsonOf(res);
      expect(body).toMatchObject({ id: lead.id, financial_entity_id: entity.id, converted_user_id: null });
      const read = await getLead(target(), lead.id, entity.id);
      expect(body).toEqual(await jsonOf(read));
      expect(res.headers.get("etag")).toMatch(/\S/);
      expect(res.headers.get("etag")).toBe(read.headers.get("etag"));
      expect((await readLead(target().db, lead.id))!.financialEntityId).toBe(entity.id);
      // The change is a new version of the lead: releasing it changes the ETag again.
      const released = await unassign(lead.id, entity.id);
      expect(released.headers.get("etag")).not.toBe(res.headers.get("etag"));
    });

    it("200 replay with Idempotent-Replayed: true when the entity already holds it; nothing more is written", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const first = await jsonOf(await assign(lead.id, entity.id));
      const events = await leadEvents(target().db, lead.id);

      const again = await assign(lead.id, entity.id);

      expect(again.status).toBe(200);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
      expect(await jsonOf(again)).toEqual(first);
      expect(await leadEvents(target().db, lead.id)).toEqual(events);
    });

    it("409 lead_assigned_to_other_entity for a lead another entity of the ecosystem holds", async () => {
      const entity = await givenEntity(target().db);
      const other = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      const lead = await givenLead(target().db, { ecosystemId: entity.ecosystemId, financialEntityId: other.id });

      await expectProblem(await assign(lead.id, entity.id), 409, "lead_assigned_to_other_entity");
      expect((await readLead(target().db, lead.id))!.financialEntityId).toBe(other.id);
    });

    it("409 lead_already_converted for a converted lead, the entity's own or another's", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const rival = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      await convert(target(), lead.id, entity.id);

      await expectProblem(await assign(lead.id, entity.id), 409, "lead_already_converted");
      await expectProblem(await assign(lead.id, rival.id), 409, "lead_already_converted");
      expect(await leadEvents(target().db, lead.id)).toEqual([]);
    });

    it("403 financial_entity_suspended for a suspended entity; the lead stays in the pool", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      await suspendEntity(target().db, entity.id);

      await expectProblem(await assign(lead.id, entity.id), 403, "financial_entity_suspended");
      expect((await readLead(target().db, lead.id))!.financialEntityId).toBeNull();
      expect(await leadEvents(target().db, lead.id)).toEqual([]);
    });

    it("a suspended entity's replay is still answered (suspension stops new assignments only)", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      expect((await assign(lead.id, entity.id)).status).toBe(200);
      await suspendEntity(target().db, entity.id);

      const res = await assign(lead.id, entity.id);

      expect(res.status).toBe(200);
      expect(res.headers.get("idempotent-replayed")).toBe("true");
    });

    it("403 insufficient_scope without leads:write, naming it; a token without a scope claim may", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);

      const res = await assign(lead.id, entity.id, "leads:read leads:convert");
      expect(res.headers.get("www-authenticate")).toContain('scope="leads:write"');
      await expectProblem(res, 403, "insufficient_scope");
      expect((await readLead(target().db, lead.id))!.financialEntityId).toBeNull();

      expect((await changeAssignment(target(), "assign", lead.id, entity.id, undefined)).status).toBe(200);
    });

    it("401 without a credential; 405 for GET, allowing POST", async () => {
      await expectProblem(
        await target().fetch(`/leads/${crypto.randomUUID()}/assign`, { method: "POST" }),
        401,
        "unauthorized",
      );
      const entity = await givenEntity(target().db);
      const res = await target().fetch(`/leads/${crypto.randomUUID()}/assign`, {
        headers: { Authorization: `Bearer ${await tokenFor(entity.id, { scope: WRITE_SCOPES })}` },
      });
      expect(res.headers.get("allow")).toBe("POST");
      await expectProblem(res, 405, "method_not_allowed");
    });

    it("413 for a body over 16 KiB (the endpoint takes none), before the credential", async () => {
      const res = await target().fetch(`/leads/${crypto.randomUUID()}/assign`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ pad: "x".repeat(17_000) }),
      });
      await expectProblem(res, 413, "payload_too_large");
    });
  });

  describe("POST /leads/{lead_id}/unassign", () => {
    it("200: the entity's lead goes back to the pool", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      await assign(lead.id, entity.id);

      const res = await unassign(lead.id, entity.id);

      expect(res.status).toBe(200);
      expect(res.headers.get("idempotent-replayed")).toBeNull();
      const body = await jsonOf(res);
      expect(body).toMatchObject({ id: lead.id, financial_entity_id: null });
      expect(body).toEqual(await jsonOf(await getLead(target(), lead.id, entity.id)));
      expect((await readLead(target().db, lead.id))!.financialEntityId).toBeNull();
    });

    it("200 replay for a lead already in the pool; nothing is written", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);

      const res = await unassign(lead.id, entity.id);

      expect(res.status).toBe(200);
      expect(res.headers.get("idempotent-replayed")).toBe("true");
      expect((await jsonOf(res)).financial_entity_id).toBeNull();
      expect(await leadEvents(target().db, lead.id)).toEqual([]);
    });

    it("409 lead_already_converted for the entity's converted lead", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      await convert(target(), lead.id, entity.id);

      await expectProblem(await unassign(lead.id, entity.id), 409, "lead_already_converted");
      expect((await readLead(target().db, lead.id))!.financialEntityId).toBe(entity.id);
    });

    it("404 lead_not_found for another entity's lead, one it converted, and an unknown id — alike", async () => {
      const entity = await givenEntity(target().db);
      const other = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      const held = await givenLead(target().db, { ecosystemId: entity.ecosystemId, financialEntityId: other.id });
      const taken = await givenLead(target().db, { ecosystemId: entity.ecosystemId });
      await convert(target(), taken.id, other.id);

      const answers = [];
      for (const leadId of [held.id, taken.id, crypto.randomUUID(), "not-a-uuid"]) {
        const body = await expectProblem(await unassign(leadId, entity.id), 404, "lead_not_found");
        answers.push({ title: body.title, detail: body.detail });
      }
      expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
      expect((await readLead(target().db, held.id))!.financialEntityId).toBe(other.id);
    });

    it("a suspended entity may give its lead back (it takes nothing)", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      await assign(lead.id, entity.id);
      await suspendEntity(target().db, entity.id);

      expect((await unassign(lead.id, entity.id)).status).toBe(200);
      expect((await readLead(target().db, lead.id))!.financialEntityId).toBeNull();
    });

    it("403 insufficient_scope without leads:write; the lead stays the entity's", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      await assign(lead.id, entity.id);

      await expectProblem(await unassign(lead.id, entity.id, "leads:read"), 403, "insufficient_scope");
      expect((await readLead(target().db, lead.id))!.financialEntityId).toBe(entity.id);
    });
  });

  describe("BOLA: across entities and ecosystems", () => {
    it("a lead of another ecosystem, in its pool or held there, is 404 to both actions — like an unknown id", async () => {
      const entity = await givenEntity(target().db);
      const stranger = await givenEntity(target().db);
      const pool = await givenLead(target().db, { ecosystemId: stranger.ecosystemId });
      const held = await givenLead(target().db, { ecosystemId: stranger.ecosystemId, financialEntityId: stranger.id });

      const answers = [];
      for (const [action, leadId] of [
        ["assign", pool.id],
        ["assign", held.id],
        ["assign", crypto.randomUUID()],
        ["assign", "not-a-uuid"],
        ["unassign", pool.id],
        ["unassign", held.id],
      ] as const) {
        const body = await expectProblem(
          await changeAssignment(target(), action, leadId, entity.id),
          404,
          "lead_not_found",
        );
        answers.push({ title: body.title, detail: body.detail });
      }
      expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
      expect((await readLead(target().db, pool.id))!.financialEntityId).toBeNull();
      expect((await readLead(target().db, held.id))!.financialEntityId).toBe(stranger.id);
      expect(await leadEvents(target().db, pool.id)).toEqual([]);
    });

    it("a token of a missing entity can neither take nor release anything", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const ghost = crypto.randomUUID();

      await expectProblem(await assign(lead.id, ghost), 404, "lead_not_found");
      await assign(lead.id, entity.id);
      await expectProblem(await unassign(lead.id, ghost), 404, "lead_not_found");
      expect((await readLead(target().db, lead.id))!.financialEntityId).toBe(entity.id);
    });

    it("a neighbour cannot release the entity's lead", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const neighbour = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      await assign(lead.id, entity.id);

      await expectProblem(await unassign(lead.id, neighbour.id), 404, "lead_not_found");
      expect((await readLead(target().db, lead.id))!.financialEntityId).toBe(entity.id);
    });
  });

  describe("races", () => {
    it("16 simultaneous assigns by two entities: one winner; its other attempts replay, the rival's are 409", async () => {
      const { entity: a, lead } = await givenConvertibleLead(target().db);
      const b = await givenEntity(target().db, { ecosystemId: a.ecosystemId });
      const [tokenA, tokenB] = [
        await tokenFor(a.id, { scope: WRITE_SCOPES }),
        await tokenFor(b.id, { scope: WRITE_SCOPES }),
      ];
      const attempts = Array.from({ length: 16 }, (_, i) =>
        i % 2 === 0 ? { who: "a", token: tokenA } : { who: "b", token: tokenB },
      );

      const answers = await Promise.all(
        attempts.map(async ({ who, token }) => {
          const res = await target().fetch(`/leads/${lead.id}/assign`, {
            method: "POST",
            headers: { Authorization: `Bearer ${token}` },
          });
          return { who, status: res.status, replayed: res.headers.get("idempotent-replayed"), body: await jsonOf(res) };
        }),
      );

      const fresh = answers.filter((x) => x.status === 200 && x.replayed === null);
      expect(fresh).toHaveLength(1);
      const winner = fresh[0]!.who;
      const winnerId = winner === "a" ? a.id : b.id;
      for (const answer of answers) {
        if (answer.who === winner) expect(answer.status).toBe(200);
        else expect(answer.body).toMatchObject({ status: 409, code: "lead_assigned_to_other_entity" });
      }
      expect((await readLead(target().db, lead.id))!.financialEntityId).toBe(winnerId);
      const events = await leadEvents(target().db, lead.id);
      expect(events.map((e) => [e.type, e.financialEntityId])).toEqual([["lead.assigned", winnerId]]);
    });

    it("16 entities assigning one lead at once: exactly one 200, fifteen 409", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const rivals = [
        entity,
        ...(await Promise.all(
          Array.from({ length: 15 }, () => givenEntity(target().db, { ecosystemId: entity.ecosystemId })),
        )),
      ];

      const statuses = await Promise.all(rivals.map(async (rival) => (await assign(lead.id, rival.id)).status));

      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 409)).toHaveLength(15);
      const holder = (await readLead(target().db, lead.id))!.financialEntityId;
      expect(rivals[statuses.indexOf(200)]!.id).toBe(holder);
      expect(await leadEvents(target().db, lead.id)).toHaveLength(1);
    });
  });

  describe("events, in the same batch as the change", () => {
    it("assign writes one lead.assigned to the entity: { lead, financial_entity_id, request_id }, delivered to its subscribed endpoints only", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const subscribed = await givenEndpoint(target().db, entity.id, ["lead.assigned"]);
      await givenEndpoint(target().db, entity.id, ["lead.converted"]);
      const neighbour = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      await givenEndpoint(target().db, neighbour.id, ["lead.assigned"]);

      const res = await assign(lead.id, entity.id);
      const body = await jsonOf(res);

      const events = await leadEvents(target().db, lead.id);
      expect(events).toHaveLength(1);
      const [event] = events;
      expect(event!.financialEntityId).toBe(entity.id);
      expect(event!.type).toBe("lead.assigned");
      expect(Object.keys(event!.payload)).toEqual(["type", "timestamp", "data"]);
      expect(event!.payload).toEqual({
        type: "lead.assigned",
        timestamp: event!.createdAt,
        data: { lead: body, financial_entity_id: entity.id, request_id: res.headers.get("x-request-id") },
      });
      const deliveries = await deliveriesOf(target().db, [event!.id]);
      await cancelDeliveries(target().db, [event!.id]);
      expect(deliveries.map((d) => d.endpointId)).toEqual([subscribed]);
    });

    it("unassign writes lead.unassigned to the entity, and a copy to every other active entity of the ecosystem that subscribed", async () => {
      const db = target().db;
      const { entity, lead } = await givenConvertibleLead(db);
      const listening = await givenEntity(db, { ecosystemId: entity.ecosystemId });
      const deaf = await givenEntity(db, { ecosystemId: entity.ecosystemId });
      const suspended = await givenEntity(db, { ecosystemId: entity.ecosystemId, status: "suspended" });
      const disabled = await givenEntity(db, { ecosystemId: entity.ecosystemId });
      const stranger = await givenEntity(db);
      const own = await givenEndpoint(db, entity.id, ["lead.unassigned", "lead.assigned"]);
      const theirs = await givenEndpoint(db, listening.id, ["lead.converted", "lead.unassigned"]);
      await givenEndpoint(db, deaf.id, ["lead.assigned"]);
      await givenEndpoint(db, suspended.id, ["lead.unassigned"]);
      await db
        .update(webhookEndpoints)
        .set({ status: "disabled" })
        .where(eq(webhookEndpoints.id, await givenEndpoint(db, disabled.id, ["lead.unassigned"])));
      await givenEndpoint(db, stranger.id, ["lead.unassigned"]);
      await assign(lead.id, entity.id);

      const res = await unassign(lead.id, entity.id);
      const body = await jsonOf(res);

      const unassigned = (await leadEvents(db, lead.id)).filter((e) => e.type === "lead.unassigned");
      expect(unassigned.map((e) => e.financialEntityId).sort()).toEqual([entity.id, listening.id].sort());
      expect(new Set(unassigned.map((e) => e.id)).size).toBe(2);
      for (const event of unassigned) {
        expect(event.payload).toEqual({
          type: "lead.unassigned",
          timestamp: event.createdAt,
          data: { lead: body, financial_entity_id: entity.id, request_id: res.headers.get("x-request-id") },
        });
      }
      const deliveries = await deliveriesOf(
        db,
        unassigned.map((e) => e.id),
      );
      await cancelDeliveries(
        db,
        unassigned.map((e) => e.id),
      );
      expect(deliveries.map((d) => d.endpointId).sort()).toEqual([own, theirs].sort());
    });

    it("replays and refusals write no event", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const rival = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      await givenEndpoint(target().db, rival.id, ["lead.unassigned"]);

      await unassign(lead.id, entity.id);
      await assign(lead.id, entity.id);
      await assign(lead.id, entity.id);
      await assign(lead.id, rival.id);
      await unassign(lead.id, rival.id);

      const written = await leadEvents(target().db, lead.id);
      await cancelDeliveries(
        target().db,
        written.map((e) => e.id),
      );
      expect(written.map((e) => e.type)).toEqual(["lead.assigned"]);
    });
  });
};

/** One database request for every answer of assign and unassign that the database decides; none before it. */
export const assignmentRoundTrips: ContractSuite = (target) =>
  describe("database round trips: assign and unassign", () => {
    const measure = (action: "assign" | "unassign", leadId: string, entityId: string, scope?: string) =>
      roundTripsOf(target(), () => changeAssignment(target(), action, leadId, entityId, scope));

    it("one for each outcome", async () => {
      const db = target().db;
      const { entity, lead } = await givenConvertibleLead(db);
      const other = await givenEntity(db, { ecosystemId: entity.ecosystemId });
      const suspended = await givenEntity(db, { ecosystemId: entity.ecosystemId, status: "suspended" });
      const held = await givenLead(db, { ecosystemId: entity.ecosystemId, financialEntityId: other.id });
      const converted = await givenLead(db, { ecosystemId: entity.ecosystemId });
      // No endpoints: on the Worker a queued delivery wakes the consumer, whose reads would be counted here.
      await convert(target(), converted.id, entity.id);
      const pool = await givenLead(db, { ecosystemId: entity.ecosystemId });

      expect(await measure("assign", lead.id, entity.id)).toEqual({ status: 200, round_trips: 1 });
      expect(await measure("assign", lead.id, entity.id)).toEqual({ status: 200, round_trips: 1 });
      expect(await measure("assign", held.id, entity.id)).toEqual({ status: 409, round_trips: 1 });
      expect(await measure("assign", converted.id, entity.id)).toEqual({ status: 409, round_trips: 1 });
      expect(await measure("assign", pool.id, suspended.id)).toEqual({ status: 403, round_trips: 1 });
      expect(await measure("assign", crypto.randomUUID(), entity.id)).toEqual({ status: 404, round_trips: 1 });
      expect(await measure("unassign", lead.id, entity.id)).toEqual({ status: 200, round_trips: 1 });
      expect(await measure("unassign", lead.id, entity.id)).toEqual({ status: 200, round_trips: 1 });
      expect(await measure("unassign", converted.id, entity.id)).toEqual({ status: 409, round_trips: 1 });
      expect(await measure("unassign", held.id, entity.id)).toEqual({ status: 404, round_trips: 1 });
    });

    it("none for requests refused before the database", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);

      expect(
        await roundTripsOf(target(), () => target().fetch(`/leads/${lead.id}/assign`, { method: "POST" })),
      ).toEqual({ status: 401, round_trips: 0 });
      expect(await measure("assign", lead.id, entity.id, "leads:read")).toEqual({ status: 403, round_trips: 0 });
      expect(await measure("unassign", "not-a-uuid", entity.id)).toEqual({ status: 404, round_trips: 0 });
    });
  });
