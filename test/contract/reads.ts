import { describe, expect, it } from "vitest";
import { givenClient, givenConvertibleLead, givenEntity, givenLead } from "../support/builders";
import { CONVERT_PATH, conversionRequest, jsonOf, USER_KEYS } from "../support/requests";
import { tokenFor } from "../support/tokens";
import { expectProblem } from "./expect";
import { type ContractSuite, roundTripsOf } from "./target";

const LEAD_KEYS = [
  "id",
  "status",
  "ecosystem",
  "financial_entity_id",
  "converted_user_id",
  "converted_at",
  "created_at",
  "image",
  "name",
  "lastname",
  "business_name",
  "quota",
  "phone",
  "email",
  "nit",
  "address",
  "history",
  "score",
  "payment_data",
  "apn_token",
  "business_entity",
  "additional_data",
];
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const READ_SCOPES = "users:read leads:read";

const get = async (
  target: ReturnType<Parameters<ContractSuite>[0]>,
  path: string,
  entityId: string,
  scope: string | undefined = READ_SCOPES,
) => target.fetch(path, { headers: { Authorization: `Bearer ${await tokenFor(entityId, { scope })}` } });

/** GET /users/{user_id} and GET /leads/{lead_id}: what each entity may see, and that nothing else is distinguishable from nothing. */
export const reads: ContractSuite = (target) => {
  const convert = async (leadId: string, entityId: string) => {
    const res = await target().fetch(
      CONVERT_PATH,
      conversionRequest(await tokenFor(entityId), { lead_id: leadId, financial_entity_id: entityId }),
    );
    expect(res.status).toBe(200);
    return jsonOf(res);
  };
  const getUser = (userId: string, entityId: string, scope?: string) =>
    get(target(), `/users/${userId}`, entityId, scope);
  const getLead = (leadId: string, entityId: string, scope?: string) =>
    get(target(), `/leads/${leadId}`, entityId, scope);

  describe("GET /users/{user_id}", () => {
    it("answers a client of the entity with the 18 keys the conversion answered", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const converted = await convert(lead.id, entity.id);

      const res = await getUser(converted._id, entity.id);

      expect(res.status).toBe(200);
      const body = await jsonOf(res);
      expect(Object.keys(body)).toEqual(USER_KEYS);
      expect(body).toEqual(converted);
    });

    it("takes the id in any letter case, and a token without any scope claim", async () => {
      const entity = await givenEntity(target().db);
      const client = await givenClient(target().db, { financialEntityId: entity.id, ecosystemId: entity.ecosystemId });

      expect((await getUser(client.id.toUpperCase(), entity.id)).status).toBe(200);
      expect((await getUser(client.id, entity.id, undefined)).status).toBe(200);
    });

    it("403 insufficient_scope without users:read, naming it in the challenge", async () => {
      const entity = await givenEntity(target().db);
      const client = await givenClient(target().db, { financialEntityId: entity.id, ecosystemId: entity.ecosystemId });

      const res = await getUser(client.id, entity.id, "leads:convert leads:read");

      expect(res.headers.get("www-authenticate")).toContain('scope="users:read"');
      await expectProblem(res, 403, "insufficient_scope");
    });

    it("401 without a token", async () => {
      await expectProblem(await target().fetch(`/users/${crypto.randomUUID()}`), 401, "unauthorized");
    });

    it("405 for another method, allowing GET and HEAD", async () => {
      const entity = await givenEntity(target().db);
      const res = await target().fetch(`/users/${crypto.randomUUID()}`, {
        method: "DELETE",
        headers: { Authorization: `Bearer ${await tokenFor(entity.id)}` },
      });
      expect(res.headers.get("allow")).toBe("GET, HEAD");
      await expectProblem(res, 405, "method_not_allowed");
    });
  });

  describe("BOLA: another entity's client is indistinguishable from none", () => {
    const notFound = async (res: Response) => {
      const body = await expectProblem(res, 404, "user_not_found");
      return { title: body.title, detail: body.detail };
    };

    it("a client of another entity of the same ecosystem, of another ecosystem, a missing id and a malformed one: the same 404", async () => {
      const entity = await givenEntity(target().db);
      const neighbour = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      const stranger = await givenEntity(target().db);
      const neighbours = await givenClient(target().db, {
        financialEntityId: neighbour.id,
        ecosystemId: neighbour.ecosystemId,
      });
      const strangers = await givenClient(target().db, {
        financialEntityId: stranger.id,
        ecosystemId: stranger.ecosystemId,
      });

      const answers = [
        await notFound(await getUser(neighbours.id, entity.id)),
        await notFound(await getUser(strangers.id, entity.id)),
        await notFound(await getUser(crypto.randomUUID(), entity.id)),
        await notFound(await getUser("not-a-uuid", entity.id)),
      ];

      expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
      expect((await getUser(neighbours.id, neighbour.id)).status).toBe(200);
    });

    it("a token of a missing entity sees no client, even one whose entity id it names in sub", async () => {
      const entity = await givenEntity(target().db);
      const client = await givenClient(target().db, { financialEntityId: entity.id, ecosystemId: entity.ecosystemId });

      await notFound(await getUser(client.id, crypto.randomUUID()));
    });

    it("the client a rival converted a lead into stays invisible to the entity that lost the race", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const rival = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      const converted = await convert(lead.id, rival.id);

      await notFound(await getUser(converted._id, entity.id));
    });
  });

  describe("GET /leads/{lead_id}", () => {
    it("answers an unassigned lead of the ecosystem with the 22 keys, times in ISO 8601 UTC", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db, {
        history: [{ event: "called" }],
        apnToken: null,
      });

      const res = await getLead(lead.id.toUpperCase(), entity.id);

      expect(res.status).toBe(200);
      const body = await jsonOf(res);
      expect(Object.keys(body)).toEqual(LEAD_KEYS);
      expect(body).toMatchObject({
        id: lead.id,
        status: "qualified",
        ecosystem: entity.ecosystemId,
        financial_entity_id: null,
        converted_user_id: null,
        converted_at: null,
        name: lead.name,
        nit: lead.nit,
        quota: lead.quota,
        history: [{ event: "called" }],
        payment_data: lead.paymentData,
        apn_token: null,
        additional_data: lead.additionalData,
      });
      expect(body.created_at).toMatch(ISO_UTC);
    });

    it("answers a lead assigned to the entity, and one it converted, with the client it became", async () => {
      const entity = await givenEntity(target().db);
      const assigned = await givenLead(target().db, { ecosystemId: entity.ecosystemId, financialEntityId: entity.id });
      const converted = await givenLead(target().db, { ecosystemId: entity.ecosystemId });
      const client = await convert(converted.id, entity.id);

      expect(await jsonOf(await getLead(assigned.id, entity.id))).toMatchObject({
        financial_entity_id: entity.id,
        converted_user_id: null,
      });
      const body = await jsonOf(await getLead(converted.id, entity.id));
      expect(body).toMatchObject({
        status: "converted",
        financial_entity_id: entity.id,
        converted_user_id: client._id,
      });
      expect(body.converted_at).toMatch(ISO_UTC);
    });

    it("keeps JSON members the lead lacks as null", async () => {
      const entity = await givenEntity(target().db);
      const lead = await givenLead(target().db, {
        ecosystemId: entity.ecosystemId,
        history: null,
        paymentData: null,
        additionalData: null,
        quota: null,
      });

      expect(await jsonOf(await getLead(lead.id, entity.id))).toMatchObject({
        history: null,
        payment_data: null,
        additional_data: null,
        quota: null,
      });
    });

    it("403 insufficient_scope without leads:read", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const res = await getLead(lead.id, entity.id, "users:read leads:convert");
      expect(res.headers.get("www-authenticate")).toContain('scope="leads:read"');
      await expectProblem(res, 403, "insufficient_scope");
    });
  });

  describe("BOLA: a lead the entity may not see is indistinguishable from none", () => {
    const notFound = async (res: Response) => {
      const body = await expectProblem(res, 404, "lead_not_found");
      return JSON.stringify({ title: body.title, detail: body.detail });
    };

    it("assigned to another entity, converted by another, of another ecosystem, missing, malformed, or asked by a missing entity: the same 404", async () => {
      const entity = await givenEntity(target().db);
      const neighbour = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      const stranger = await givenEntity(target().db);
      const heldByNeighbour = await givenLead(target().db, {
        ecosystemId: entity.ecosystemId,
        financialEntityId: neighbour.id,
      });
      const convertedByNeighbour = await givenLead(target().db, { ecosystemId: entity.ecosystemId });
      await convert(convertedByNeighbour.id, neighbour.id);
      const otherEcosystem = await givenLead(target().db, { ecosystemId: stranger.ecosystemId });
      const visible = await givenLead(target().db, { ecosystemId: entity.ecosystemId });

      const answers = [
        await notFound(await getLead(heldByNeighbour.id, entity.id)),
        await notFound(await getLead(convertedByNeighbour.id, entity.id)),
        await notFound(await getLead(otherEcosystem.id, entity.id)),
        await notFound(await getLead(crypto.randomUUID(), entity.id)),
        await notFound(await getLead("1; select 1", entity.id)),
        await notFound(await getLead(visible.id, crypto.randomUUID())),
      ];

      expect(new Set(answers).size).toBe(1);
      // The same leads are visible to the entities they belong to.
      expect((await getLead(heldByNeighbour.id, neighbour.id)).status).toBe(200);
      expect((await getLead(convertedByNeighbour.id, neighbour.id)).status).toBe(200);
      expect((await getLead(otherEcosystem.id, stranger.id)).status).toBe(200);
      expect((await getLead(visible.id, entity.id)).status).toBe(200);
    });

    it("a lead another entity converted disappears for the rest of its ecosystem once converted", async () => {
      const { entity, lead } = await givenConvertibleLead(target().db);
      const rival = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      expect((await getLead(lead.id, entity.id)).status).toBe(200);

      await convert(lead.id, rival.id);

      await notFound(await getLead(lead.id, entity.id));
    });
  });
};

/** Each read is one database request; a read refused before the data makes none. */
export const readRoundTrips: ContractSuite = (target) =>
  describe("database round trips per read", () => {
    const measure = (path: string, entityId: string, scope: string | undefined = READ_SCOPES) =>
      roundTripsOf(target(), () => get(target(), path, entityId, scope));

    it("one for every answer the data decides, none for those decided before", async () => {
      const entity = await givenEntity(target().db);
      const other = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      const client = await givenClient(target().db, { financialEntityId: entity.id, ecosystemId: entity.ecosystemId });
      const lead = await givenLead(target().db, { ecosystemId: entity.ecosystemId });
      const held = await givenLead(target().db, { ecosystemId: entity.ecosystemId, financialEntityId: other.id });

      expect(await measure(`/users/${client.id}`, entity.id)).toEqual({ status: 200, round_trips: 1 });
      expect(await measure(`/users/${client.id}`, other.id)).toEqual({ status: 404, round_trips: 1 });
      expect(await measure(`/leads/${lead.id}`, entity.id)).toEqual({ status: 200, round_trips: 1 });
      expect(await measure(`/leads/${held.id}`, entity.id)).toEqual({ status: 404, round_trips: 1 });
      expect(await measure(`/users/not-a-uuid`, entity.id)).toEqual({ status: 404, round_trips: 0 });
      expect(await measure(`/leads/${lead.id}`, entity.id, "leads:convert")).toEqual({ status: 403, round_trips: 0 });
    });
  });
