import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { givenClient, givenEntity, givenLead } from "../support/builders";
import { CONVERT_PATH, conversionRequest, jsonOf } from "../support/requests";
import { tokenFor } from "../support/tokens";
import { changeAssignment } from "./assignment";
import { expectProblem } from "./expect";
import { type ContractSuite, roundTripsOf } from "./target";

const SCOPES = "leads:read users:read leads:write leads:convert";
type Target = ReturnType<Parameters<ContractSuite>[0]>;

const get = async (target: Target, path: string, entityId: string, scope: string | undefined = SCOPES) =>
  target.fetch(path, { headers: { Authorization: `Bearer ${await tokenFor(entityId, { scope })}` } });

/** Every item of every page, following `next_after`; fails if a page is not 200. */
async function everyPage(target: Target, path: string, entityId: string, between?: () => Promise<void>) {
  const pages: any[][] = [];
  let after: string | null = null;
  do {
    const separator = path.includes("?") ? "&" : "?";
    const res = await get(target, after === null ? path : `${path}${separator}after=${after}`, entityId);
    expect(res.status).toBe(200);
    const body = await jsonOf(res);
    expect(Object.keys(body)).toEqual(["data", "next_after"]);
    pages.push(body.data);
    after = body.next_after;
    await between?.();
  } while (after !== null && pages.length < 100);
  return pages;
}

const ids = (items: { id?: string; _id?: string }[]) => items.map((item) => item.id ?? item._id);

const convert = async (target: Target, leadId: string, entityId: string, extra: object = {}) => {
  const res = await target.fetch(
    CONVERT_PATH,
    conversionRequest(await tokenFor(entityId), { lead_id: leadId, financial_entity_id: entityId, ...extra }),
  );
  expect(res.status).toBe(200);
  return jsonOf(res);
};

/** An entity and a neighbour of its ecosystem, with leads of every visibility, created in a known order. */
async function givenLeadsOfEveryKind(target: Target) {
  const db = target.db;
  const entity = await givenEntity(db);
  const neighbour = await givenEntity(db, { ecosystemId: entity.ecosystemId });
  const stranger = await givenEntity(db);
  const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
  const lead = (i: number, extra: Parameters<typeof givenLead>[1]) => givenLead(db, { createdAt: at(i), ...extra });
  const x = entity.ecosystemId;
  const pool = await lead(1, { ecosystemId: x, status: "new", nit: "900.123.456" });
  const mine = await lead(2, {
    ecosystemId: x,
    financialEntityId: entity.id,
    status: "qualified",
    createdBy: entity.id,
    externalId: "crm-42",
  });
  const theirs = await lead(3, { ecosystemId: x, financialEntityId: neighbour.id });
  const convertedByMe = await lead(4, { ecosystemId: x });
  const convertedByThem = await lead(5, { ecosystemId: x });
  const elsewhere = await lead(6, { ecosystemId: stranger.ecosystemId });
  const pool2 = await lead(7, { ecosystemId: x, status: "qualified" });
  await convert(target, convertedByMe.id, entity.id);
  await convert(target, convertedByThem.id, neighbour.id);
  return { entity, neighbour, stranger, pool, mine, theirs, convertedByMe, convertedByThem, elsewhere, pool2 };
}

/** GET /leads and GET /users: filters, visibility (BOLA), cursors, refusals, hostile query strings. */
export const lists: ContractSuite = (target) => {
  describe("GET /leads", () => {
    it("lists what GET /leads/{id} shows the entity — the pool, its own, its converted — oldest first, as GET shows each", async () => {
      const k = await givenLeadsOfEveryKind(target());

      const [page] = await everyPage(target(), "/leads", k.entity.id);

      expect(ids(page!)).toEqual([k.pool.id, k.mine.id, k.convertedByMe.id, k.pool2.id]);
      for (const item of page!) {
        expect(item).toEqual(await jsonOf(await get(target(), `/leads/${item.id}`, k.entity.id)));
      }
      // The neighbour sees the same pool, and only its own.
      expect(ids((await everyPage(target(), "/leads", k.neighbour.id)).flat())).toEqual([
        k.pool.id,
        k.theirs.id,
        k.convertedByThem.id,
        k.pool2.id,
      ]);
      expect(ids((await everyPage(target(), "/leads", k.stranger.id)).flat())).toEqual([k.elsewhere.id]);
    });

    it("filters: assigned=me (converted included), assigned=unassigned, status, nit by its key, and together", async () => {
      const k = await givenLeadsOfEveryKind(target());
      const list = async (query: string) => ids((await everyPage(target(), `/leads?${query}`, k.entity.id)).flat());

      expect(await list("assigned=me")).toEqual([k.mine.id, k.convertedByMe.id]);
      expect(await list("assigned=unassigned")).toEqual([k.pool.id, k.pool2.id]);
      expect(await list("status=qualified")).toEqual([k.mine.id, k.pool2.id]);
      expect(await list("status=converted")).toEqual([k.convertedByMe.id]);
      expect(await list("assigned=me&status=converted")).toEqual([k.convertedByMe.id]);
      expect(await list("assigned=unassigned&status=qualified")).toEqual([k.pool2.id]);
      expect(await list("nit=900123456")).toEqual([k.pool.id]);
      expect(await list(`nit=${encodeURIComponent("900 123 456")}`)).toEqual([k.pool.id]);
      expect(await list("nit=900123456&assigned=me")).toEqual([]);
      expect(await list("status=lost")).toEqual([]);
      expect(await list("external_id=crm-42")).toEqual([k.mine.id]);
      expect(await list("external_id=crm-42&assigned=unassigned")).toEqual([]);
      expect(await list("external_id=crm-43")).toEqual([]);
      // Another entity's external ids are its own: the neighbour's crm-42 is not this lead.
      expect(ids((await everyPage(target(), "/leads?external_id=crm-42", k.neighbour.id)).flat())).toEqual([]);
    });

    it("an assigned lead leaves the others' lists and a released one comes back", async () => {
      const k = await givenLeadsOfEveryKind(target());
      expect((await changeAssignment(target(), "assign", k.pool.id, k.neighbour.id)).status).toBe(200);

      expect(ids((await everyPage(target(), "/leads", k.entity.id)).flat())).not.toContain(k.pool.id);
      expect((await changeAssignment(target(), "unassign", k.pool.id, k.neighbour.id)).status).toBe(200);
      expect(ids((await everyPage(target(), "/leads", k.entity.id)).flat())).toContain(k.pool.id);
    });
  });

  describe("paging", () => {
    it("pages of `limit` through every lead, once each, while leads are added between pages; next_after null at the end", async () => {
      const entity = await givenEntity(target().db);
      const existing: string[] = [];
      for (let i = 0; i < 7; i++) {
        const createdAt = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
        existing.push((await givenLead(target().db, { ecosystemId: entity.ecosystemId, createdAt })).id);
      }
      const added: string[] = [];

      const pages = await everyPage(target(), "/leads?limit=2", entity.id, async () => {
        added.push((await givenLead(target().db, { ecosystemId: entity.ecosystemId })).id);
      });

      const seen = ids(pages.flat());
      expect(pages.every((p) => p.length <= 2)).toBe(true);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.slice(0, existing.length)).toEqual(existing);
      expect(seen.filter((id) => !existing.includes(id!)).every((id) => added.includes(id!))).toBe(true);
    });

    it("limit defaults to 50 and may be 1–100", async () => {
      const entity = await givenEntity(target().db);
      for (let i = 0; i < 51; i++) await givenLead(target().db, { ecosystemId: entity.ecosystemId });

      const first = await jsonOf(await get(target(), "/leads", entity.id));
      expect(first.data).toHaveLength(50);
      expect(first.next_after).toEqual(expect.any(String));
      const rest = await jsonOf(await get(target(), `/leads?after=${first.next_after}&limit=100`, entity.id));
      expect(rest.data).toHaveLength(1);
      expect(rest.next_after).toBeNull();
      expect((await jsonOf(await get(target(), "/leads?limit=1", entity.id))).data).toHaveLength(1);
    });

    it("a cursor names a position, not an entity: another entity's cursor pages only its own view", async () => {
      const k = await givenLeadsOfEveryKind(target());
      const first = await jsonOf(await get(target(), "/leads?limit=1", k.neighbour.id));

      const mine = await jsonOf(await get(target(), `/leads?after=${first.next_after}`, k.entity.id));

      expect(ids(mine.data)).toEqual([k.mine.id, k.convertedByMe.id, k.pool2.id]);
    });
  });

  describe("GET /users", () => {
    it("lists the entity's clients only, oldest first, each the 18-key body; filters by nit key, email (any case) and lead_id", async () => {
      const db = target().db;
      const entity = await givenEntity(db);
      const neighbour = await givenEntity(db, { ecosystemId: entity.ecosystemId });
      const at = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
      const a = await givenClient(db, {
        financialEntityId: entity.id,
        ecosystemId: entity.ecosystemId,
        nit: "900.123.456",
        email: "Laura@Example.com",
        createdAt: at(1),
      });
      await givenClient(db, { financialEntityId: neighbour.id, ecosystemId: entity.ecosystemId, createdAt: at(2) });
      const lead = await givenLead(db, { ecosystemId: entity.ecosystemId, nit: "80123456" });
      const b = await convert(target(), lead.id, entity.id);
      const linked = await givenLead(db, { ecosystemId: entity.ecosystemId, nit: "80.123.456" });
      await convert(target(), linked.id, entity.id, { on_existing_client: "link" });
      const list = async (query: string, who = entity.id) => (await everyPage(target(), `/users${query}`, who)).flat();

      const all = await list("");
      expect(ids(all)).toEqual([a.id, b._id]);
      expect(all[1]).toEqual(await jsonOf(await get(target(), `/users/${b._id}`, entity.id)));
      expect(ids(await list("?nit=900123456"))).toEqual([a.id]);
      expect(ids(await list("?email=laura@EXAMPLE.com"))).toEqual([a.id]);
      expect(ids(await list(`?lead_id=${lead.id.toUpperCase()}`))).toEqual([b._id]);
      expect(ids(await list(`?lead_id=${linked.id}`))).toEqual([b._id]);
      expect(ids(await list(`?lead_id=${lead.id}&nit=900123456`))).toEqual([]);
      expect(ids(await list("?limit=1"))).toEqual([a.id, b._id]);
      // BOLA: the neighbour lists neither, whatever it filters by.
      expect(ids(await list(`?lead_id=${lead.id}`, neighbour.id))).toEqual([]);
      expect(ids(await list("?nit=900123456", neighbour.id))).toHaveLength(0);
    });
  });

  describe("refusals", () => {
    it("400 validation_error for a malformed filter, limit or cursor", async () => {
      const entity = await givenEntity(target().db);
      for (const query of [
        "/leads?after=not-a-cursor",
        `/leads?after=${btoa("[1,2]")}`,
        "/leads?after=",
        "/leads?limit=0",
        "/leads?limit=101",
        "/leads?limit=abc",
        "/leads?status=pending",
        "/leads?assigned=everyone",
        "/leads?status=new&status=lost",
        "/leads?nit=---",
        "/leads?external_id=has%20space",
        "/users?lead_id=x",
        "/users?email=",
        "/users?limit=1.5",
        "/users?after=%00",
      ]) {
        const body = await expectProblem(await get(target(), query, entity.id), 400, "validation_error");
        expect(body.errors, query).toEqual([expect.objectContaining({ path: expect.any(String) })]);
      }
    });

    it("403 insufficient_scope without leads:read / users:read; 401 without a credential", async () => {
      const entity = await givenEntity(target().db);
      const leads = await get(target(), "/leads", entity.id, "users:read");
      expect(leads.headers.get("www-authenticate")).toContain('scope="leads:read"');
      await expectProblem(leads, 403, "insufficient_scope");
      await expectProblem(await get(target(), "/users", entity.id, "leads:read"), 403, "insufficient_scope");
      await expectProblem(await target().fetch("/leads"), 401, "unauthorized");
      await expectProblem(await target().fetch("/users"), 401, "unauthorized");
    });

    it("hostile query strings never answer 5xx: 200 or 400", async () => {
      const entity = await givenEntity(target().db);
      const token = await tokenFor(entity.id, { scope: SCOPES });
      const names = ["status", "assigned", "nit", "email", "lead_id", "limit", "after", "x"];
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom("/leads", "/users"),
          fc.array(fc.tuple(fc.constantFrom(...names), fc.string({ unit: "binary", maxLength: 60 })), {
            maxLength: 5,
          }),
          async (path, pairs) => {
            // Every byte percent-encoded: lone surrogates become U+FFFD, as a client would send them.
            const encode = (v: string) =>
              Array.from(new TextEncoder().encode(v), (b) => `%${b.toString(16).padStart(2, "0")}`).join("");
            const query = pairs.map(([k, v]) => `${k}=${encode(v)}`).join("&");
            const res = await target().fetch(`${path}?${query}`, { headers: { Authorization: `Bearer ${token}` } });
            expect([200, 400]).toContain(res.status);
            await res.arrayBuffer();
          },
        ),
        { numRuns: 60 },
      );
    });
  });
};

/** One database request per page and per refusal the database decides; none before it. */
export const listRoundTrips: ContractSuite = (target) =>
  describe("database round trips: GET /leads and GET /users", () => {
    it("one per page, whatever the filters; none for 400, 401 and a token's 403", async () => {
      const k = await givenLeadsOfEveryKind(target());
      const measure = (path: string, scope?: string) =>
        roundTripsOf(target(), () => get(target(), path, k.entity.id, scope));

      for (const path of [
        "/leads",
        "/leads?limit=1",
        "/leads?assigned=me&status=converted",
        "/leads?assigned=unassigned&nit=900123456",
        "/users",
        "/users?nit=1&email=a@b.co",
        `/users?lead_id=${k.convertedByMe.id}&limit=5`,
      ]) {
        expect(await measure(path), path).toEqual({ status: 200, round_trips: 1 });
      }
      const next = (await jsonOf(await get(target(), "/leads?limit=1", k.entity.id))).next_after;
      expect(await measure(`/leads?limit=1&after=${next}`)).toEqual({ status: 200, round_trips: 1 });
      expect(await measure("/leads?limit=0")).toEqual({ status: 400, round_trips: 0 });
      expect(await measure("/users?after=x")).toEqual({ status: 400, round_trips: 0 });
      expect(await measure("/leads", "users:read")).toEqual({ status: 403, round_trips: 0 });
      expect(await roundTripsOf(target(), () => target().fetch("/users"))).toEqual({ status: 401, round_trips: 0 });
    });
  });
