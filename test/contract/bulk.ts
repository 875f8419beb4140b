import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { findInvariantViolations } from "../../src/db/invariants";
import { financialEntities } from "../../src/db/schema";
import {
  auditFor,
  eventsForLead,
  givenClient,
  givenConvertibleLead,
  givenEntity,
  givenLead,
  readLead,
  writesFor,
} from "../support/builders";
import { CONVERT_PATH, conversionRequest, jsonOf, USER_KEYS } from "../support/requests";
import { tokenFor } from "../support/tokens";
import { expectProblem } from "./expect";
import { type ContractSuite, roundTripsOf } from "./target";

export const BULK_PATH = "/turn-leads-into-clients";

type Target = ReturnType<Parameters<ContractSuite>[0]>;

/** Sends one bulk call for `entityId`. */
export async function bulk(
  target: Target,
  entityId: string,
  leadIds: string[],
  extra: Record<string, unknown> = {},
  token?: string,
) {
  return target.fetch(
    BULK_PATH,
    conversionRequest(token ?? (await tokenFor(entityId)), {
      financial_entity_id: entityId,
      lead_ids: leadIds,
      ...extra,
    }),
  );
}

const results = async (res: Response): Promise<any[]> => {
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return JSON.parse(text).results;
};

/** POST /turn-leads-into-clients: each lead decided like the single endpoint, in order, in one call. */
export const bulkConversion: ContractSuite = (target) => {
  const single = async (leadId: string, entityId: string) =>
    target().fetch(
      CONVERT_PATH,
      conversionRequest(await tokenFor(entityId), { lead_id: leadId, financial_entity_id: entityId }),
    );

  describe("POST /turn-leads-into-clients — every per-item outcome", () => {
    it("answers each lead in request order, exactly as the single endpoint would", async () => {
      const db = target().db;
      const entity = await givenEntity(db);
      const rival = await givenEntity(db, { ecosystemId: entity.ecosystemId });
      const stranger = await givenEntity(db);
      const fresh = await givenLead(db, { ecosystemId: entity.ecosystemId });
      const earlier = await givenLead(db, { ecosystemId: entity.ecosystemId });
      const earlierClient = await jsonOf(await single(earlier.id, entity.id));
      const held = await givenLead(db, { ecosystemId: entity.ecosystemId, financialEntityId: rival.id });
      const taken = await givenLead(db, { ecosystemId: entity.ecosystemId });
      expect((await single(taken.id, rival.id)).status).toBe(200);
      const existing = await givenClient(db, {
        financialEntityId: entity.id,
        ecosystemId: entity.ecosystemId,
        nit: "800.100.200-8",
      });
      const clash = await givenLead(db, { ecosystemId: entity.ecosystemId, nit: "NIT 800100200" });
      const elsewhere = await givenLead(db, { ecosystemId: stranger.ecosystemId });
      const missing = crypto.randomUUID();
      const firstTwin = await givenLead(db, { ecosystemId: entity.ecosystemId, nit: "800 555 111-3", name: "First" });
      const secondTwin = await givenLead(db, { ecosystemId: entity.ecosystemId, nit: "800555111", name: "Second" });

      const ids = [
        fresh.id.toUpperCase(),
        earlier.id,
        held.id,
        taken.id,
        clash.id,
        elsewhere.id,
        missing,
        firstTwin.id,
        secondTwin.id,
      ];
      const items = await results(await bulk(target(), entity.id, ids));

      expect(items.map((item) => item.lead_id)).toEqual(ids.map((id) => id.toLowerCase()));
      expect(
        items.map((item) => [item.status, item.problem?.code ?? (item.replayed ? "replayed" : "converted")]),
      ).toEqual([
        [200, "converted"],
        [200, "replayed"],
        [409, "lead_assigned_to_other_entity"],
        [409, "lead_already_converted"],
        [409, "client_already_exists"],
        [404, "lead_not_found"],
        [404, "lead_not_found"],
        [200, "converted"],
        [409, "client_already_exists"],
      ]);
      expect(Object.keys(items[0].user)).toEqual(USER_KEYS);
      expect(items[0]).toMatchObject({
        replayed: false,
        linked: false,
        user: { name: fresh.name, nit: fresh.nit, ecosystem: entity.ecosystemId },
      });
      expect(items[1]).toMatchObject({ replayed: true, linked: false, user: earlierClient });
      expect(items[4].problem).toEqual({
        type: "/problems/client_already_exists",
        title: "A client with the same NIT already exists",
        status: 409,
        detail: expect.any(String),
        code: "client_already_exists",
        existing_user_id: existing.id,
      });
      // Two leads of one call with the same NIT key: the first converts, the later one names it.
      expect(items[7].user.name).toBe("First");
      expect(items[8].problem.existing_user_id).toBe(items[7].user._id);
      expect(await findInvariantViolations(db)).toEqual([]);
    });

    it("of leads sharing a NIT key, the first that may be converted gets the client: leads before it that may not do not block it", async () => {
      const db = target().db;
      const entity = await givenEntity(db);
      const rival = await givenEntity(db, { ecosystemId: entity.ecosystemId });
      const stranger = await givenEntity(db);
      const nit = (i: number) =>
        [
          "901.222.333-9",
          "901 222 333 - 9",
          "901222333",
          "NIT: 901.222.333-9",
          "901222333-9",
          "\uff19\uff10\uff11.\uff12\uff12\uff12.\uff13\uff13\uff13",
        ][i]!;
      const held = await givenLead(db, { ecosystemId: entity.ecosystemId, financialEntityId: rival.id, nit: nit(0) });
      const elsewhere = await givenLead(db, { ecosystemId: stranger.ecosystemId, nit: nit(1) });
      const takenByRival = await givenLead(db, { ecosystemId: entity.ecosystemId, nit: nit(2) });
      expect((await single(takenByRival.id, rival.id)).status).toBe(200);
      const first = await givenLead(db, { ecosystemId: entity.ecosystemId, nit: nit(3), name: "First" });
      const second = await givenLead(db, { ecosystemId: entity.ecosystemId, nit: nit(4), name: "Second" });
      const third = await givenLead(db, { ecosystemId: entity.ecosystemId, nit: nit(5), name: "Third" });
      const [noNitA, noNitB] = await Promise.all(
        [0, 1].map(() => givenLead(db, { ecosystemId: entity.ecosystemId, nit: null })),
      );

      const ids = [held.id, elsewhere.id, takenByRival.id, noNitA!.id, first.id, second.id, noNitB!.id, third.id];
      const items = await results(await bulk(target(), entity.id, ids));

      expect(items.map((item) => [item.status, item.problem?.code ?? "converted"])).toEqual([
        [409, "lead_assigned_to_other_entity"],
        [404, "lead_not_found"],
        [409, "lead_already_converted"],
        [200, "converted"],
        [200, "converted"],
        [409, "client_already_exists"],
        [200, "converted"],
        [409, "client_already_exists"],
      ]);
      expect(items[4].user.name).toBe("First");
      expect([items[5].problem.existing_user_id, items[7].problem.existing_user_id]).toEqual([
        items[4].user._id,
        items[4].user._id,
      ]);
      expect(new Set([items[3].user._id, items[4].user._id, items[6].user._id]).size).toBe(3);
      for (const i of [3, 4, 6]) expect(await eventsForLead(db, ids[i]!)).toHaveLength(1);
      for (const i of [0, 1, 5, 7]) expect(await eventsForLead(db, ids[i]!)).toEqual([]);
      // The rival's own conversion of it, and nothing more.
      expect(await eventsForLead(db, takenByRival.id)).toHaveLength(1);
      expect(await findInvariantViolations(db)).toEqual([]);
    });

    it("writes the client, the lead's conversion and one audit record for each converted lead, and nothing for the others", async () => {
      const entity = await givenEntity(target().db);
      const leads = await Promise.all([1, 2, 3].map(() => givenLead(target().db, { ecosystemId: entity.ecosystemId })));
      const held = await givenLead(target().db, {
        ecosystemId: entity.ecosystemId,
        financialEntityId: (await givenEntity(target().db, { ecosystemId: entity.ecosystemId })).id,
      });

      const res = await bulk(target(), entity.id, [...leads.map((l) => l.id), held.id], {}, undefined);
      const requestId = res.headers.get("x-request-id");
      const items = await results(res);

      for (const [i, lead] of leads.entries()) {
        expect(await readLead(target().db, lead.id)).toMatchObject({
          status: "converted",
          convertedClientId: items[i].user._id,
          financialEntityId: entity.id,
        });
        expect(await auditFor(target().db, lead.id)).toEqual([
          expect.objectContaining({
            clientId: items[i].user._id,
            financialEntityId: entity.id,
            requestId,
            subject: entity.id,
          }),
        ]);
      }
      for (const [i, lead] of leads.entries()) {
        const events = await eventsForLead(target().db, lead.id);
        expect(events).toHaveLength(1);
        expect(events[0]!.payload.data).toMatchObject({ request_id: requestId, user: { _id: items[i].user._id } });
        expect(events[0]!.payload.data.linked).toBeUndefined();
      }
      expect(await eventsForLead(target().db, held.id)).toEqual([]);
      expect(await writesFor(target().db, held.id)).toEqual({ clients: 0, audits: 0 });
      expect(await readLead(target().db, held.id)).toMatchObject({ status: held.status, convertedClientId: null });
    });

    it("a retry of the same call answers every converted lead as a replay of the same client, and writes nothing", async () => {
      const entity = await givenEntity(target().db);
      const leads = await Promise.all(
        [1, 2, 3, 4].map(() => givenLead(target().db, { ecosystemId: entity.ecosystemId })),
      );
      const ids = [...leads.map((l) => l.id), crypto.randomUUID()];

      const first = await results(await bulk(target(), entity.id, ids));
      const again = await results(await bulk(target(), entity.id, ids));

      expect(again.map((item) => item.replayed)).toEqual([true, true, true, true, undefined]);
      expect(again.map((item) => item.user?._id)).toEqual(first.map((item) => item.user?._id));
      expect(again[4]).toEqual(first[4]);
      for (const lead of leads) {
        expect(await writesFor(target().db, lead.id)).toEqual({ clients: 1, audits: 1 });
        expect(await eventsForLead(target().db, lead.id)).toHaveLength(1);
      }
    });
  });

  describe("POST /turn-leads-into-clients — problems of the whole request", () => {
    it("400 validation_error for no ids, 101 ids, a repeated id (in any letter case), a non-UUID, a missing entity id", async () => {
      const entity = await givenEntity(target().db);
      const id = crypto.randomUUID();
      const hundredAndOne = Array.from({ length: 101 }, () => crypto.randomUUID());

      for (const [leadIds, path] of [
        [[], "lead_ids"],
        [hundredAndOne, "lead_ids"],
        [[id, crypto.randomUUID(), id.toUpperCase()], "lead_ids"],
        [[crypto.randomUUID(), "x"], "lead_ids.1"],
      ] as const) {
        const body = await expectProblem(await bulk(target(), entity.id, [...leadIds]), 400, "validation_error");
        expect((body.errors as { path: string }[]).map((e) => e.path)).toContain(path);
      }
      const res = await target().fetch(BULK_PATH, conversionRequest(await tokenFor(entity.id), { lead_ids: [id] }));
      await expectProblem(res, 400, "validation_error");
    });

    it("accepts exactly 100 ids", async () => {
      const entity = await givenEntity(target().db);
      const items = await results(
        await bulk(
          target(),
          entity.id,
          Array.from({ length: 100 }, () => crypto.randomUUID()),
        ),
      );
      expect(items).toHaveLength(100);
      expect(new Set(items.map((item) => item.problem.code))).toEqual(new Set(["lead_not_found"]));
    });

    it("401 without a token, 403 for another entity's token and without leads:convert, 415 for text", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const other = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      const body = { financial_entity_id: entity.id, lead_ids: [lead.id] };

      await expectProblem(await target().fetch(BULK_PATH, conversionRequest(null, body)), 401, "unauthorized");
      await expectProblem(await bulk(target(), entity.id, [lead.id], {}, await tokenFor(other.id)), 403, "forbidden");
      await expectProblem(
        await bulk(target(), entity.id, [lead.id], {}, await tokenFor(entity.id, { scope: "leads:read" })),
        403,
        "insufficient_scope",
      );
      await expectProblem(
        await target().fetch(
          BULK_PATH,
          conversionRequest(await tokenFor(entity.id), body, { "Content-Type": "text/plain" }),
        ),
        415,
        "unsupported_media_type",
      );
      expect(await writesFor(target().db, lead.id)).toEqual({ clients: 0, audits: 0 });
    });

    it("404 financial_entity_not_found for a missing entity; 403 financial_entity_suspended even when leads would be replays", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const nobody = crypto.randomUUID();
      await expectProblem(await bulk(target(), nobody, [lead.id]), 404, "financial_entity_not_found");

      expect((await results(await bulk(target(), entity.id, [lead.id])))[0].status).toBe(200);
      await target()
        .db.update(financialEntities)
        .set({ status: "suspended" })
        .where(eq(financialEntities.id, entity.id));
      const fresh = await givenLead(target().db, { ecosystemId: entity.ecosystemId });

      await expectProblem(await bulk(target(), entity.id, [lead.id, fresh.id]), 403, "financial_entity_suspended");
      expect(await writesFor(target().db, fresh.id)).toEqual({ clients: 0, audits: 0 });
    });
  });

  describe("POST /turn-leads-into-clients — races", () => {
    it("32 simultaneous identical bulk calls: one client per lead, every call answering the same _id per lead", async () => {
      const entity = await givenEntity(target().db);
      const leads = await Promise.all(
        Array.from({ length: 10 }, () => givenLead(target().db, { ecosystemId: entity.ecosystemId })),
      );
      const ids = leads.map((l) => l.id);
      const token = await tokenFor(entity.id);

      const answers = await Promise.all(
        Array.from({ length: 32 }, () => bulk(target(), entity.id, ids, {}, token).then(results)),
      );

      for (const [i, lead] of leads.entries()) {
        const column = answers.map((items) => items[i]);
        expect(column.every((item) => item.status === 200)).toBe(true);
        expect(new Set(column.map((item) => item.user._id)).size).toBe(1);
        expect(column.filter((item) => !item.replayed)).toHaveLength(1);
        expect(await writesFor(target().db, lead.id)).toEqual({ clients: 1, audits: 1 });
      }
      expect(await findInvariantViolations(target().db)).toEqual([]);
    });

    it("two entities bulk-converting overlapping lists: one client per lead, and each lead's winner the same in every answer", async () => {
      const a = await givenEntity(target().db);
      const b = await givenEntity(target().db, { ecosystemId: a.ecosystemId });
      const leads = await Promise.all(
        Array.from({ length: 12 }, () => givenLead(target().db, { ecosystemId: a.ecosystemId })),
      );
      const ids = leads.map((l) => l.id);
      const forA = ids.slice(0, 8);
      const forB = [...ids.slice(4, 12)].reverse();
      const [tokenA, tokenB] = [await tokenFor(a.id), await tokenFor(b.id)];

      const calls = Array.from({ length: 8 }, (_, i) =>
        i % 2 === 0
          ? bulk(target(), a.id, forA, {}, tokenA).then(async (r) => ({
              entity: a.id,
              ids: forA,
              items: await results(r),
            }))
          : bulk(target(), b.id, forB, {}, tokenB).then(async (r) => ({
              entity: b.id,
              ids: forB,
              items: await results(r),
            })),
      );
      const answers = await Promise.all(calls);

      for (const lead of leads) {
        const stored = await readLead(target().db, lead.id);
        expect(await writesFor(target().db, lead.id)).toEqual({ clients: 1, audits: 1 });
        for (const answer of answers) {
          const item = answer.items[answer.ids.indexOf(lead.id)];
          if (item === undefined) continue;
          if (answer.entity === stored!.financialEntityId) {
            expect(item).toMatchObject({ status: 200, user: { _id: stored!.convertedClientId } });
          } else {
            expect(item).toMatchObject({ status: 409, problem: { code: "lead_already_converted" } });
          }
        }
      }
      expect(await findInvariantViolations(target().db)).toEqual([]);
    });
  });
};

/** A bulk call is one database request on every path; refused before the data, none. */
export const bulkRoundTrips: ContractSuite = (target) =>
  describe("database round trips per bulk call", () => {
    const measure = (send: () => Promise<Response>) => roundTripsOf(target(), send);

    it("one for 100 new leads, one for their replay, one for every whole-request answer the data decides", async () => {
      const entity = await givenEntity(target().db);
      const leads = await Promise.all(
        Array.from({ length: 100 }, () => givenLead(target().db, { ecosystemId: entity.ecosystemId })),
      );
      const ids = leads.map((l) => l.id);
      const suspended = await givenEntity(target().db, { ecosystemId: entity.ecosystemId, status: "suspended" });

      expect(await measure(() => bulk(target(), entity.id, ids))).toEqual({ status: 200, round_trips: 1 });
      expect(await measure(() => bulk(target(), entity.id, ids))).toEqual({ status: 200, round_trips: 1 });
      expect(await measure(() => bulk(target(), suspended.id, ids))).toEqual({ status: 403, round_trips: 1 });
      expect(await measure(() => bulk(target(), crypto.randomUUID(), ids.slice(0, 3)))).toEqual({
        status: 404,
        round_trips: 1,
      });
    });

    it("one for a call mixing every per-item outcome", async () => {
      const db = target().db;
      const entity = await givenEntity(db);
      const rival = await givenEntity(db, { ecosystemId: entity.ecosystemId });
      const [fresh, earlier, taken] = await Promise.all(
        [1, 2, 3].map(() => givenLead(db, { ecosystemId: entity.ecosystemId })),
      );
      const held = await givenLead(db, { ecosystemId: entity.ecosystemId, financialEntityId: rival.id });
      await givenClient(db, { financialEntityId: entity.id, ecosystemId: entity.ecosystemId, nit: "860.034.313-7" });
      const clash = await givenLead(db, { ecosystemId: entity.ecosystemId, nit: "860034313" });
      await results(await bulk(target(), entity.id, [earlier!.id]));
      await results(await bulk(target(), rival.id, [taken!.id]));

      const ids = [fresh!.id, earlier!.id, taken!.id, held.id, clash.id, crypto.randomUUID()];
      expect(await measure(() => bulk(target(), entity.id, ids))).toEqual({ status: 200, round_trips: 1 });
    });

    it("none for calls refused before the database", async () => {
      const entity = await givenEntity(target().db);
      const ids = [crypto.randomUUID()];
      expect(
        await measure(() =>
          target().fetch(BULK_PATH, conversionRequest(null, { financial_entity_id: entity.id, lead_ids: ids })),
        ),
      ).toEqual({ status: 401, round_trips: 0 });
      expect(await measure(() => bulk(target(), entity.id, [...ids, ids[0]!]))).toEqual({
        status: 400,
        round_trips: 0,
      });
      expect(
        await measure(async () => bulk(target(), entity.id, ids, {}, await tokenFor(crypto.randomUUID()))),
      ).toEqual({ status: 403, round_trips: 0 });
    });
  });
