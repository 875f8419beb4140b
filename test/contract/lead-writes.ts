import { count, eq, inArray } from "drizzle-orm";
import * as fc from "fast-check";
import { describe, expect, it } from "vitest";
import { leads, webhookDeliveries, webhookEvents } from "../../src/db/schema";
import { givenApiKey } from "../support/api-keys";
import { givenEntity, givenLead, readLead, suspendEntity } from "../support/builders";
import { aNitBase, writtenNit } from "../support/nits";
import { CONVERT_PATH, conversionRequest, jsonOf, sendOversized } from "../support/requests";
import { tokenFor } from "../support/tokens";
import { expectProblem } from "./expect";
import { type ContractSuite, type ContractTarget, roundTripsOf } from "./target";

const WRITE = "leads:write leads:read leads:convert";

type Target = ReturnType<Parameters<ContractSuite>[0]>;

/** A token's Authorization header; `scope: null` sends a token without a scope claim. */
async function bearer(entityId: string, scope: string | null = WRITE) {
  return `Bearer ${await tokenFor(entityId, { scope: scope ?? undefined })}`;
}

function send(
  target: ContractTarget,
  method: string,
  path: string,
  auth: string | null,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  return target.fetch(path, {
    method,
    headers: {
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...(auth === null ? {} : { Authorization: auth }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
}

const create = async (target: Target, entityId: string, body: unknown, scope?: string | null) =>
  send(target, "POST", "/leads", await bearer(entityId, scope), body);
const createBulk = async (target: Target, entityId: string, body: unknown) =>
  send(target, "POST", "/leads/bulk", await bearer(entityId), body);
const patch = async (target: Target, entityId: string, leadId: string, body: unknown, headers = {}) =>
  send(target, "PATCH", `/leads/${leadId}`, await bearer(entityId), body, headers);
const getLead = async (target: Target, entityId: string, leadId: string, headers = {}) =>
  send(target, "GET", `/leads/${leadId}`, await bearer(entityId), undefined, headers);

async function leadCount(target: Target, ecosystemId: string) {
  const [row] = await target.db.select({ n: count() }).from(leads).where(eq(leads.ecosystemId, ecosystemId));
  return row!.n;
}

async function eventsOf(target: Target, type: string) {
  const rows = await target.db
    .select({ entity: webhookEvents.financialEntityId, payload: webhookEvents.payload })
    .from(webhookEvents)
    .where(eq(webhookEvents.type, type));
  return rows.map((row) => ({ entity: row.entity, payload: JSON.parse(row.payload) }));
}

async function subscribe(target: Target, entityId: string, eventTypes: string[]) {
  const res = await send(target, "POST", "/webhook-endpoints", await bearer(entityId, "webhooks:manage"), {
    url: "https://hooks.example.com/leads",
    event_types: eventTypes,
  });
  expect(res.status).toBe(201);
}

/** `POST /leads`, `POST /leads/bulk`, `PATCH /leads/{id}` and the lead's `ETag`: every row of leads.md's tables for them. */
export const leadWrites: ContractSuite = (target) => {
  describe("POST /leads", () => {
    it("201: the lead as GET answers it, assigned to the creator, with Location and ETag; lead.created in the same batch", async () => {
      const entity = await givenEntity(target().db);
      const nit = writtenNit();
      const res = await create(target(), entity.id, {
        name: "Laura",
        nit,
        quota: "1500.5",
        history: [{ event: "form" }],
        payment_data: { bank: "Bancolombia" },
        status: "contacted",
        unknown_member: "ignored",
      });
      expect(res.status).toBe(201);
      const body = await jsonOf(res);
      expect(res.headers.get("location")).toBe(`/leads/${body.id}`);
      expect(res.headers.get("etag")).toBe('"v1"');
      expect(body).toMatchObject({
        status: "contacted",
        ecosystem: entity.ecosystemId,
        financial_entity_id: entity.id,
        name: "Laura",
        nit,
        quota: 1500.5,
        history: [{ event: "form" }],
        payment_data: { bank: "Bancolombia" },
        additional_data: null,
      });
      const read = await getLead(target(), entity.id, body.id);
      expect(await jsonOf(read)).toEqual(body);
      expect(read.headers.get("etag")).toBe('"v1"');
      const events = (await eventsOf(target(), "lead.created")).filter((e) => e.payload.data.lead.id === body.id);
      expect(events).toHaveLength(1);
      expect(events[0]!.entity).toBe(entity.id);
      expect(events[0]!.payload.data).toMatchObject({ lead: body, financial_entity_id: entity.id });
    });

    it("replays the same external_id and fields: 200, Idempotent-Replayed, nothing written; other fields: 409 naming the lead", async () => {
      const entity = await givenEntity(target().db);
      const lead = { name: "Ana", external_id: `crm-${crypto.randomUUID()}`, payment_data: { a: 1, b: 2 } };
      const first = await jsonOf(await create(target(), entity.id, lead));
      const replay = await create(target(), entity.id, { ...lead, payment_data: { b: 2, a: 1 } });
      expect(replay.status).toBe(200);
      expect(replay.headers.get("idempotent-replayed")).toBe("true");
      expect((await jsonOf(replay)).id).toBe(first.id);
      expect(await leadCount(target(), entity.ecosystemId)).toBe(1);
      const events = (await eventsOf(target(), "lead.created")).filter((e) => e.payload.data.lead.id === first.id);
      expect(events).toHaveLength(1);

      const conflict = await expectProblem(
        await create(target(), entity.id, { ...lead, name: "Other" }),
        409,
        "external_id_conflict",
      );
      expect(conflict.existing_lead_id).toBe(first.id);
      // Another entity's external ids are its own.
      const other = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      expect((await create(target(), other.id, { ...lead, name: "Other" })).status).toBe(201);
    });

    it("without external_id two identical requests make two leads", async () => {
      const entity = await givenEntity(target().db);
      expect((await create(target(), entity.id, { name: "Twice" })).status).toBe(201);
      expect((await create(target(), entity.id, { name: "Twice" })).status).toBe(201);
      expect(await leadCount(target(), entity.ecosystemId)).toBe(2);
    });

    it("409 lead_already_exists for a NIT key an unconverted lead of the ecosystem holds; the id only when the entity may see it", async () => {
      const entity = await givenEntity(target().db);
      const neighbour = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      const base = aNitBase();
      const pool = await givenLead(target().db, { ecosystemId: entity.ecosystemId, nit: writtenNit(base) });
      const visible = await expectProblem(await create(target(), entity.id, { nit: base }), 409, "lead_already_exists");
      expect(visible.existing_lead_id).toBe(pool.id);

      const heldBase = aNitBase();
      await givenLead(target().db, {
        ecosystemId: entity.ecosystemId,
        financialEntityId: neighbour.id,
        nit: heldBase,
      });
      const hidden = await expectProblem(
        await create(target(), entity.id, { nit: `NIT ${writtenNit(heldBase)}` }),
        409,
        "lead_already_exists",
      );
      expect(hidden).not.toHaveProperty("existing_lead_id");
      // Another ecosystem's lead, and a converted one, stop nothing.
      const stranger = await givenEntity(target().db);
      expect((await create(target(), stranger.id, { nit: base })).status).toBe(201);
      expect(await leadCount(target(), entity.ecosystemId)).toBe(2);
    });

    it("financial_entity_id null puts the lead in the pool, announced to every active subscribed entity; another id is 403", async () => {
      const entity = await givenEntity(target().db);
      const subscriber = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      const deaf = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      const suspended = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      await subscribe(target(), subscriber.id, ["lead.created"]);
      await subscribe(target(), deaf.id, ["lead.converted"]);
      await subscribe(target(), suspended.id, ["lead.created"]);
      await suspendEntity(target().db, suspended.id);

      const res = await create(target(), entity.id, { name: "Pool", financial_entity_id: null });
      expect(res.status).toBe(201);
      const body = await jsonOf(res);
      expect(body.financial_entity_id).toBeNull();
      const recipients = (await eventsOf(target(), "lead.created"))
        .filter((e) => e.payload.data.lead.id === body.id)
        .map((e) => e.entity);
      expect(recipients).toEqual([subscriber.id]);
      // hooks.example.com never answers: on the Worker its queue would try again seconds later, and those reads would
      // be counted by whatever round-trip test runs then.
      await target()
        .db.update(webhookDeliveries)
        .set({ status: "canceled" })
        .where(
          inArray(
            webhookDeliveries.eventId,
            target()
              .db.select({ id: webhookEvents.id })
              .from(webhookEvents)
              .where(eq(webhookEvents.financialEntityId, subscriber.id)),
          ),
        );

      await expectProblem(
        await create(target(), entity.id, { name: "x", financial_entity_id: subscriber.id }),
        403,
        "forbidden",
      );
      expect(
        (await create(target(), entity.id, { name: "x", financial_entity_id: entity.id.toUpperCase() })).status,
      ).toBe(201);
    });

    it("400 for a wrong DV, naming the expected digit; for over-long text, an oversized JSON member, converted status", async () => {
      const entity = await givenEntity(target().db);
      const dv = await expectProblem(
        await create(target(), entity.id, { nit: "900.123.456-7" }),
        400,
        "validation_error",
      );
      expect(dv.errors).toEqual([{ path: "nit", message: "the check digit of 900123456 is 8, not 7" }]);
      for (const body of [
        { name: "x".repeat(1_001) },
        { additional_data: { blob: "x".repeat(8_200) } },
        { status: "converted" },
        { external_id: "" },
        { external_id: "has space" },
        { quota: "12abc" },
        { history: {} },
        { name: "nul\u0000" },
      ]) {
        await expectProblem(await create(target(), entity.id, body), 400, "validation_error");
      }
      expect((await create(target(), entity.id, { name: "é".repeat(1_000) })).status).toBe(201);
      expect(await leadCount(target(), entity.ecosystemId)).toBe(1);
    });

    it("refusals in the contract's order: 413, 401, 415, 403 scope, suspended and missing entities", async () => {
      const entity = await givenEntity(target().db);
      await expectProblem(
        await send(target(), "POST", "/leads", null, { name: "x".repeat(17_000) }),
        413,
        "payload_too_large",
      );
      await expectProblem(await send(target(), "POST", "/leads", null, {}), 401, "unauthorized");
      await expectProblem(
        await send(target(), "POST", "/leads", await bearer(entity.id), "name=x", { "Content-Type": "text/plain" }),
        415,
        "unsupported_media_type",
      );
      const scope = await create(target(), entity.id, { name: "x" }, "leads:read leads:convert");
      expect(scope.headers.get("www-authenticate")).toContain('scope="leads:write"');
      await expectProblem(scope, 403, "insufficient_scope");
      expect((await create(target(), entity.id, { name: "no scope claim" }, null)).status).toBe(201);
      await suspendEntity(target().db, entity.id);
      await expectProblem(await create(target(), entity.id, { name: "x" }), 403, "financial_entity_suspended");
      await expectProblem(
        await create(target(), crypto.randomUUID(), { name: "x" }),
        404,
        "financial_entity_not_found",
      );
      expect(await leadCount(target(), entity.ecosystemId)).toBe(1);
    });

    it("integration keys: with leads:write they create for their entity; without it 403; revoked 401", async () => {
      const entity = await givenEntity(target().db);
      const writer = await givenApiKey(target().db, entity.id, { scopes: ["leads:write"] });
      const reader = await givenApiKey(target().db, entity.id, { scopes: ["leads:read"] });
      const revoked = await givenApiKey(target().db, entity.id, {
        scopes: ["leads:write"],
        revokedAt: new Date().toISOString(),
      });
      const made = await send(target(), "POST", "/leads", `Bearer ${writer.key}`, { name: "Key" });
      expect(made.status).toBe(201);
      expect((await jsonOf(made)).financial_entity_id).toBe(entity.id);
      await expectProblem(
        await send(target(), "POST", "/leads", `Bearer ${reader.key}`, { name: "Key" }),
        403,
        "insufficient_scope",
      );
      await expectProblem(
        await send(target(), "POST", "/leads", `Bearer ${revoked.key}`, { name: "Key" }),
        401,
        "unauthorized",
      );
      const other = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      await expectProblem(
        await send(target(), "POST", "/leads", `Bearer ${writer.key}`, { name: "Key", financial_entity_id: other.id }),
        403,
        "forbidden",
      );
      expect(await leadCount(target(), entity.ecosystemId)).toBe(1);
    });

    it("16 simultaneous creates with one external_id make exactly one lead, and all get its id", async () => {
      const entity = await givenEntity(target().db);
      const body = { name: "Race", external_id: `race-${crypto.randomUUID()}`, nit: writtenNit() };
      const answers = await Promise.all(
        Array.from({ length: 16 }, async () => {
          const res = await create(target(), entity.id, body);
          return { status: res.status, id: (await jsonOf(res)).id as string };
        }),
      );
      expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
      expect(answers.filter((a) => a.status === 200)).toHaveLength(15);
      expect(new Set(answers.map((a) => a.id)).size).toBe(1);
      expect(await leadCount(target(), entity.ecosystemId)).toBe(1);
    });

    it("hostile bodies never get a 5xx, and a refused one writes nothing", async () => {
      const entity = await givenEntity(target().db);
      const auth = await bearer(entity.id);
      const value = fc.oneof(
        fc.string(),
        fc.string({ unit: "binary" }),
        fc.integer(),
        fc.double(),
        fc.constant(null),
        fc.boolean(),
        fc.array(fc.string(), { maxLength: 3 }),
        fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
      );
      const fields = [
        "name",
        "nit",
        "quota",
        "history",
        "payment_data",
        "status",
        "external_id",
        "financial_entity_id",
      ];
      await fc.assert(
        fc.asyncProperty(fc.dictionary(fc.constantFrom(...fields), value, { maxKeys: 5 }), async (body) => {
          const before = await leadCount(target(), entity.ecosystemId);
          const res = await send(target(), "POST", "/leads", auth, body);
          expect(res.status, JSON.stringify(body)).toBeLessThan(500);
          await res.arrayBuffer();
          expect(await leadCount(target(), entity.ecosystemId)).toBe(before + (res.status === 201 ? 1 : 0));
        }),
        { numRuns: 40 },
      );
    });
  });

  describe("POST /leads/bulk", () => {
    it("decides each lead as POST /leads would, in request order, index-aligned; a retry replays", async () => {
      const entity = await givenEntity(target().db);
      const base = aNitBase();
      const items = [
        { name: "first", nit: base, external_id: `b-${crypto.randomUUID()}` },
        { name: "second", nit: writtenNit(base) },
        { name: "bad", quota: "lots" },
        { name: "pool", financial_entity_id: null, external_id: `b-${crypto.randomUUID()}` },
      ];
      const res = await createBulk(target(), entity.id, { leads: items });
      expect(res.status).toBe(200);
      const { results } = await jsonOf(res);
      expect(results.map((r: { index: number; status: number }) => [r.index, r.status])).toEqual([
        [0, 201],
        [1, 409],
        [2, 400],
        [3, 201],
      ]);
      expect(results[1].problem).toMatchObject({ code: "lead_already_exists", existing_lead_id: results[0].lead.id });
      expect(results[2].problem).toMatchObject({ code: "validation_error", errors: [{ path: "quota" }] });
      expect(results[3].lead.financial_entity_id).toBeNull();
      expect(await leadCount(target(), entity.ecosystemId)).toBe(2);

      const retry = await jsonOf(await createBulk(target(), entity.id, { leads: [items[0], items[3]] }));
      expect(retry.results.map((r: { status: number }) => r.status)).toEqual([200, 200]);
      expect(retry.results[0].lead.id).toBe(results[0].lead.id);
      expect(await leadCount(target(), entity.ecosystemId)).toBe(2);
    });

    it("400 for the call: two leads with one external_id, none, more than 500; 413 over 1 MiB", async () => {
      const entity = await givenEntity(target().db);
      const twice = await expectProblem(
        await createBulk(target(), entity.id, { leads: [{ external_id: "same" }, { external_id: "same" }] }),
        400,
        "validation_error",
      );
      expect(twice.errors).toEqual([{ path: "leads.1.external_id", message: "external_id repeats that of leads.0" }]);
      await expectProblem(await createBulk(target(), entity.id, { leads: [] }), 400, "validation_error");
      await expectProblem(
        await createBulk(target(), entity.id, { leads: Array.from({ length: 501 }, () => ({})) }),
        400,
        "validation_error",
      );
      // 1 MiB and one byte: 413 before the credential is even looked at. (On a socket of its own over HTTP: the
      // server answers from Content-Length and drops the connection.)
      const head = JSON.stringify({ leads: [{ name: "" }] });
      const overLimit = head.replace('"name":""', `"name":"${"x".repeat(1024 * 1024 + 1 - head.length)}"`);
      expect(Buffer.byteLength(overLimit)).toBe(1024 * 1024 + 1);
      for (const auth of [await bearer(entity.id), "Bearer not-a-token"]) {
        await expectProblem(
          await sendOversized(target(), "/leads/bulk", { Authorization: auth }, overLimit),
          413,
          "payload_too_large",
        );
      }
      // Exactly 1 MiB is read: its lead is then refused for its over-long name, not for the body's size.
      const atLimit = head.replace('"name":""', `"name":"${"x".repeat(1024 * 1024 - head.length)}"`);
      expect(Buffer.byteLength(atLimit)).toBe(1024 * 1024);
      const read = await createBulk(target(), entity.id, atLimit);
      expect(read.status).toBe(200);
      expect((await jsonOf(read)).results[0]).toMatchObject({ index: 0, status: 400 });
      expect(await leadCount(target(), entity.ecosystemId)).toBe(0);
    });

    it("500 leads in one call", async () => {
      const entity = await givenEntity(target().db);
      const res = await createBulk(target(), entity.id, {
        leads: Array.from({ length: 500 }, (_, i) => ({ name: `lead ${i}`, nit: writtenNit() })),
      });
      expect(res.status).toBe(200);
      const { results } = await jsonOf(res);
      expect(results).toHaveLength(500);
      expect(
        results.every((r: { index: number; status: number }, i: number) => r.index === i && r.status === 201),
      ).toBe(true);
      expect(await leadCount(target(), entity.ecosystemId)).toBe(500);
    });
  });

  describe("PATCH /leads/{lead_id} and the ETag", () => {
    const given = async () => {
      const entity = await givenEntity(target().db);
      const made = await jsonOf(await create(target(), entity.id, { name: "Ana", payment_data: { bank: "A", n: 1 } }));
      return { entity, lead: made as { id: string } };
    };

    it("merges the patch (RFC 7396), moves the ETag on, and sends lead.updated naming what changed", async () => {
      const { entity, lead } = await given();
      const res = await patch(
        target(),
        entity.id,
        lead.id,
        { name: "Ana María", email: "ana@example.com", payment_data: { n: null, account: "9" }, status: "qualified" },
        { "Content-Type": "application/merge-patch+json", "If-Match": '"v1"' },
      );
      expect(res.status).toBe(200);
      expect(res.headers.get("etag")).toBe('"v2"');
      const body = await jsonOf(res);
      expect(body).toMatchObject({
        name: "Ana María",
        email: "ana@example.com",
        status: "qualified",
        payment_data: { bank: "A", account: "9" },
      });
      expect(await jsonOf(await getLead(target(), entity.id, lead.id))).toEqual(body);
      const events = (await eventsOf(target(), "lead.updated")).filter((e) => e.payload.data.lead.id === lead.id);
      expect(events).toHaveLength(1);
      expect(events[0]!.entity).toBe(entity.id);
      expect(events[0]!.payload.data.lead).toEqual(body);
      expect(events[0]!.payload.data.changed.sort()).toEqual(["email", "name", "payment_data", "status"]);

      // The same patch again changes nothing: no new version, no event.
      const again = await patch(target(), entity.id, lead.id, { name: "Ana María" });
      expect(again.headers.get("etag")).toBe('"v2"');
      expect((await eventsOf(target(), "lead.updated")).filter((e) => e.payload.data.lead.id === lead.id)).toHaveLength(
        1,
      );
    });

    it("412 precondition_failed when If-Match is stale, nothing written; GET honours If-None-Match with 304", async () => {
      const { entity, lead } = await given();
      expect((await patch(target(), entity.id, lead.id, { name: "B" })).status).toBe(200);
      await expectProblem(
        await patch(target(), entity.id, lead.id, { name: "C" }, { "If-Match": '"v1"' }),
        412,
        "precondition_failed",
      );
      expect((await readLead(target().db, lead.id))!.name).toBe("B");
      expect((await patch(target(), entity.id, lead.id, { name: "C" }, { "If-Match": '"v9", "v2"' })).status).toBe(200);
      const notModified = await getLead(target(), entity.id, lead.id, { "If-None-Match": '"v3"' });
      expect(notModified.status).toBe(304);
      expect(notModified.headers.get("etag")).toBe('"v3"');
      expect((await getLead(target(), entity.id, lead.id, { "If-None-Match": '"v2"' })).status).toBe(200);
    });

    it("only the assigned entity changes an unconverted lead: pool 409, converted 409, others and other ecosystems 404", async () => {
      const entity = await givenEntity(target().db);
      const neighbour = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      const stranger = await givenEntity(target().db);
      const pool = await givenLead(target().db, { ecosystemId: entity.ecosystemId });
      const held = await givenLead(target().db, { ecosystemId: entity.ecosystemId, financialEntityId: neighbour.id });
      const foreign = await givenLead(target().db, {
        ecosystemId: stranger.ecosystemId,
        financialEntityId: stranger.id,
      });
      const converted = await givenLead(target().db, { ecosystemId: entity.ecosystemId });
      const conversion = await target().fetch(
        CONVERT_PATH,
        conversionRequest(await tokenFor(entity.id), { lead_id: converted.id, financial_entity_id: entity.id }),
      );
      expect(conversion.status).toBe(200);

      await expectProblem(await patch(target(), entity.id, pool.id, { name: "x" }), 409, "lead_not_assigned");
      await expectProblem(await patch(target(), entity.id, converted.id, { name: "x" }), 409, "lead_already_converted");
      const answers = [];
      for (const id of [held.id, foreign.id, crypto.randomUUID(), "not-a-uuid"]) {
        const body = await expectProblem(await patch(target(), entity.id, id, { name: "x" }), 404, "lead_not_found");
        answers.push(JSON.stringify({ title: body.title, detail: body.detail }));
      }
      expect(new Set(answers).size).toBe(1);
      expect((await readLead(target().db, held.id))!.name).toBe(held.name);
      expect((await readLead(target().db, foreign.id))!.name).toBe(foreign.name);
      expect((await patch(target(), neighbour.id, held.id, { name: "mine" })).status).toBe(200);
    });

    it("a merge that grows payment_data or additional_data past 8 KiB is 400 as the create would be, nothing written", async () => {
      const entity = await givenEntity(target().db);
      const made = await jsonOf(
        await create(target(), entity.id, {
          name: "Ana",
          payment_data: { bank: "A", memo: "p".repeat(5_000) },
          additional_data: { notes: "a".repeat(5_000) },
        }),
      );
      const tooLarge = (field: string) => ({ path: field, message: `${field} must be at most 8192 bytes as JSON` });
      const one = await expectProblem(
        await patch(target(), entity.id, made.id, { name: "B", payment_data: { more: "q".repeat(4_000) } }),
        400,
        "validation_error",
      );
      expect(one.errors).toEqual([tooLarge("payment_data")]);
      const both = await expectProblem(
        await patch(
          target(),
          entity.id,
          made.id,
          { payment_data: { more: "q".repeat(4_000) }, additional_data: { more: "b".repeat(4_000) } },
          { "Content-Type": "application/merge-patch+json", "If-Match": '"v1"' },
        ),
        400,
        "validation_error",
      );
      expect(both.errors).toEqual([tooLarge("payment_data"), tooLarge("additional_data")]);
      const stored = await readLead(target().db, made.id);
      expect(stored).toMatchObject({
        name: "Ana",
        version: 1,
        paymentData: { bank: "A", memo: "p".repeat(5_000) },
        additionalData: { notes: "a".repeat(5_000) },
      });
      expect((await eventsOf(target(), "lead.updated")).filter((e) => e.payload.data.lead.id === made.id)).toEqual([]);

      // What the merge leaves is what counts: the same growth with the old member removed fits.
      const fits = await patch(target(), entity.id, made.id, { payment_data: { memo: null, more: "q".repeat(4_000) } });
      expect(fits.status).toBe(200);
      expect((await jsonOf(fits)).payment_data).toEqual({ bank: "A", more: "q".repeat(4_000) });
    });

    it("a NIT change keeps the dedupe rule; fields that cannot change are 400; plain JSON is taken too", async () => {
      const { entity, lead } = await given();
      const base = aNitBase();
      const other = await givenLead(target().db, { ecosystemId: entity.ecosystemId, nit: base });
      const clash = await expectProblem(
        await patch(target(), entity.id, lead.id, { nit: writtenNit(base) }),
        409,
        "lead_already_exists",
      );
      expect(clash.existing_lead_id).toBe(other.id);
      for (const body of [{ external_id: "x" }, { financial_entity_id: null }, { status: "converted" }, [1]]) {
        await expectProblem(await patch(target(), entity.id, lead.id, body), 400, "validation_error");
      }
      await expectProblem(
        await patch(target(), entity.id, lead.id, { name: "x" }, { "Content-Type": "text/plain" }),
        415,
        "unsupported_media_type",
      );
      expect((await readLead(target().db, lead.id))!.version).toBe(1);
    });
  });
};

/** One database request for every request kind of the lead writes, and every refusal that reaches the database. */
export const leadWriteRoundTrips: ContractSuite = (target) =>
  describe("database round trips of the lead writes", () => {
    const measure = (send: () => Promise<Response>) => roundTripsOf(target(), send);

    it("one for each create outcome, each change outcome, 500 leads in bulk; none for refusals decided before", async () => {
      const entity = await givenEntity(target().db);
      const neighbour = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      const suspended = await givenEntity(target().db, { ecosystemId: entity.ecosystemId, status: "suspended" });
      const external = { name: "R", external_id: `rt-${crypto.randomUUID()}` };
      const base = aNitBase();
      await givenLead(target().db, { ecosystemId: entity.ecosystemId, nit: base });
      const pool = await givenLead(target().db, { ecosystemId: entity.ecosystemId });
      const held = await givenLead(target().db, { ecosystemId: entity.ecosystemId, financialEntityId: neighbour.id });

      const created = await measure(() => create(target(), entity.id, external));
      expect(created).toEqual({ status: 201, round_trips: 1 });
      expect(await measure(() => create(target(), entity.id, external))).toEqual({ status: 200, round_trips: 1 });
      expect(await measure(() => create(target(), entity.id, { ...external, name: "S" }))).toEqual({
        status: 409,
        round_trips: 1,
      });
      expect(await measure(() => create(target(), entity.id, { nit: base }))).toEqual({ status: 409, round_trips: 1 });
      expect(await measure(() => create(target(), suspended.id, { name: "x" }))).toEqual({
        status: 403,
        round_trips: 1,
      });
      expect(await measure(() => create(target(), crypto.randomUUID(), { name: "x" }))).toEqual({
        status: 404,
        round_trips: 1,
      });
      expect(
        await measure(() =>
          createBulk(target(), entity.id, {
            leads: Array.from({ length: 500 }, (_, i) => ({ name: `bulk ${i}`, nit: writtenNit() })),
          }),
        ),
      ).toEqual({ status: 200, round_trips: 1 });

      const mine = await jsonOf(await create(target(), entity.id, { name: "Mine" }));
      expect(await measure(() => patch(target(), entity.id, mine.id, { name: "Changed" }))).toEqual({
        status: 200,
        round_trips: 1,
      });
      expect(await measure(() => patch(target(), entity.id, mine.id, { name: "Changed" }))).toEqual({
        status: 200,
        round_trips: 1,
      });
      expect(
        await measure(() => patch(target(), entity.id, mine.id, { name: "Again" }, { "If-Match": '"v1"' })),
      ).toEqual({ status: 412, round_trips: 1 });
      expect(await measure(() => patch(target(), entity.id, pool.id, { name: "x" }))).toEqual({
        status: 409,
        round_trips: 1,
      });
      expect(await measure(() => patch(target(), entity.id, held.id, { name: "x" }))).toEqual({
        status: 404,
        round_trips: 1,
      });
      expect(await measure(() => patch(target(), entity.id, mine.id, { nit: base }))).toEqual({
        status: 409,
        round_trips: 1,
      });
      const large = await jsonOf(await create(target(), entity.id, { additional_data: { n: "a".repeat(6_000) } }));
      expect(
        await measure(() => patch(target(), entity.id, large.id, { additional_data: { m: "b".repeat(3_000) } })),
      ).toEqual({ status: 400, round_trips: 1 });
      expect(await measure(() => getLead(target(), entity.id, mine.id, { "If-None-Match": '"v2"' }))).toEqual({
        status: 304,
        round_trips: 1,
      });

      const key = await givenApiKey(target().db, entity.id, { scopes: ["leads:read"] });
      expect(await measure(() => send(target(), "POST", "/leads", `Bearer ${key.key}`, { name: "k" }))).toEqual({
        status: 403,
        round_trips: 1,
      });
      expect(await measure(() => send(target(), "POST", "/leads", null, { name: "x" }))).toEqual({
        status: 401,
        round_trips: 0,
      });
      expect(await measure(() => create(target(), entity.id, { nit: "900.123.456-7" }))).toEqual({
        status: 400,
        round_trips: 0,
      });
      expect(await measure(() => create(target(), entity.id, { name: "x" }, "leads:read"))).toEqual({
        status: 403,
        round_trips: 0,
      });
      expect(
        await measure(() => create(target(), entity.id, { name: "x", financial_entity_id: neighbour.id })),
      ).toEqual({ status: 403, round_trips: 0 });
      expect(await measure(() => patch(target(), entity.id, "not-a-uuid", { name: "x" }))).toEqual({
        status: 404,
        round_trips: 0,
      });
    });
  });
