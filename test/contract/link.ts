import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { findInvariantViolations } from "../../src/db/invariants";
import { clients } from "../../src/db/schema";
import { auditFor, eventsForLead, givenClient, givenEntity, givenLead, readLead } from "../support/builders";
import { CONVERT_PATH, conversionRequest, jsonOf } from "../support/requests";
import { tokenFor } from "../support/tokens";
import { bulk } from "./bulk";
import { expectProblem } from "./expect";
import type { ContractSuite } from "./target";

/** on_existing_client: "link" — the lead goes into the client the entity already has, filling only what it lacks. */
export const link: ContractSuite = (target) => {
  const convert = async (leadId: string, entityId: string, onExistingClient?: string) =>
    target().fetch(
      CONVERT_PATH,
      conversionRequest(await tokenFor(entityId), {
        lead_id: leadId,
        financial_entity_id: entityId,
        ...(onExistingClient === undefined ? {} : { on_existing_client: onExistingClient }),
      }),
    );
  const clientRow = async (id: string) => (await target().db.select().from(clients).where(eq(clients.id, id)))[0]!;

  /** An entity with a client holding some profile fields and lacking others, and a lead of the same NIT written differently. */
  const givenExistingClientAndLead = async () => {
    const entity = await givenEntity(target().db);
    const existing = await givenClient(target().db, {
      financialEntityId: entity.id,
      ecosystemId: entity.ecosystemId,
      nit: "901.555.000-0",
      name: "Existing Name",
      phone: "+57 1 111 1111",
      quota: 100,
      image: null,
      lastname: null,
      businessName: null,
      email: null,
      address: null,
      score: null,
      businessEntity: null,
      status: "vip",
      history: [{ event: "opened" }],
      paymentData: { bank: "Kept" },
      additionalData: { kept: true },
      apnToken: "kept-device",
    });
    const lead = await givenLead(target().db, {
      ecosystemId: entity.ecosystemId,
      nit: "NIT 901555000",
      name: "Lead Name",
      lastname: "Lead Lastname",
      phone: "+57 2 222 2222",
      quota: 999,
      image: "https://img.example.com/lead.png",
      businessName: "Lead S.A.S.",
      email: "lead@example.com",
      address: "Lead address",
      score: 640,
      businessEntity: "S.A.S.",
      history: [{ event: "lead-history" }],
      paymentData: { bank: "Lead bank" },
      additionalData: { lead: true },
      apnToken: "lead-device",
    });
    return { entity, existing, lead };
  };

  describe("on_existing_client: link — the single endpoint", () => {
    it("converts the lead into the existing client, filling only its null profile fields, with Lead-Linked: true", async () => {
      const { entity, existing, lead } = await givenExistingClientAndLead();

      const res = await convert(lead.id, entity.id, "link");

      expect(res.status).toBe(200);
      expect(res.headers.get("lead-linked")).toBe("true");
      expect(res.headers.get("idempotent-replayed")).toBeNull();
      const body = await jsonOf(res);
      expect(body).toEqual({
        _id: existing.id,
        // filled: the client had none
        image: "https://img.example.com/lead.png",
        lastname: "Lead Lastname",
        business_name: "Lead S.A.S.",
        email: "lead@example.com",
        address: "Lead address",
        score: 640,
        business_entity: "S.A.S.",
        // kept: the client had its own
        name: "Existing Name",
        phone: "+57 1 111 1111",
        quota: 100,
        // never touched
        status: "vip",
        nit: "901.555.000-0",
        history: [{ event: "opened" }],
        payment_data: { bank: "Kept" },
        additional_data: { kept: true },
        apn_token: "kept-device",
        ecosystem: entity.ecosystemId,
      });
      expect(await readLead(target().db, lead.id)).toMatchObject({
        status: "converted",
        convertedClientId: existing.id,
        financialEntityId: entity.id,
      });
      expect((await clientRow(existing.id)).leadId).toBeNull();
      expect(await auditFor(target().db, lead.id)).toEqual([
        expect.objectContaining({
          clientId: existing.id,
          financialEntityId: entity.id,
          linked: true,
          requestId: res.headers.get("x-request-id"),
        }),
      ]);
      const events = await eventsForLead(target().db, lead.id);
      expect(events).toHaveLength(1);
      expect(events[0]!.payload.data).toMatchObject({
        lead_id: lead.id,
        linked: true,
        user: { _id: existing.id, lastname: "Lead Lastname" },
      });
      expect(await findInvariantViolations(target().db)).toEqual([]);
    });

    it("a retry, with or without on_existing_client, replays the same client with Lead-Linked: true", async () => {
      const { entity, lead } = await givenExistingClientAndLead();
      const first = await jsonOf(await convert(lead.id, entity.id, "link"));

      for (const mode of ["link", undefined, "reject"]) {
        const again = await convert(lead.id, entity.id, mode);
        expect(again.status).toBe(200);
        expect(again.headers.get("idempotent-replayed")).toBe("true");
        expect(again.headers.get("lead-linked")).toBe("true");
        expect(await jsonOf(again)).toEqual(first);
      }
      expect(await auditFor(target().db, lead.id)).toHaveLength(1);
      expect(await eventsForLead(target().db, lead.id)).toHaveLength(1);
    });

    it("a second lead linked into the same client fills only what is still null; the client holds both", async () => {
      const { entity, existing, lead } = await givenExistingClientAndLead();
      await convert(lead.id, entity.id, "link");
      const second = await givenLead(target().db, {
        ecosystemId: entity.ecosystemId,
        nit: "901 555 000 - 0",
        lastname: "Second",
        email: "second@example.com",
      });

      const body = await jsonOf(await convert(second.id, entity.id, "link"));

      expect(body).toMatchObject({ _id: existing.id, lastname: "Lead Lastname", email: "lead@example.com" });
      expect(await readLead(target().db, second.id)).toMatchObject({ convertedClientId: existing.id });
      expect(await readLead(target().db, lead.id)).toMatchObject({ convertedClientId: existing.id });
      expect(await findInvariantViolations(target().db)).toEqual([]);
    });

    it("without link — or with reject — the same lead is still 409 client_already_exists naming the client", async () => {
      const { entity, existing, lead } = await givenExistingClientAndLead();
      for (const mode of [undefined, "reject"]) {
        const body = await expectProblem(await convert(lead.id, entity.id, mode), 409, "client_already_exists");
        expect(body.existing_user_id).toBe(existing.id);
      }
      expect(await readLead(target().db, lead.id)).toMatchObject({ convertedClientId: null });
    });

    it("link changes nothing else: a new NIT makes a new client without Lead-Linked, other entities' leads are still refused", async () => {
      const { entity } = await givenExistingClientAndLead();
      const rival = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
      const fresh = await givenLead(target().db, { ecosystemId: entity.ecosystemId });
      const held = await givenLead(target().db, {
        ecosystemId: entity.ecosystemId,
        financialEntityId: rival.id,
        nit: "901.555.000-0",
      });

      const res = await convert(fresh.id, entity.id, "link");
      expect(res.status).toBe(200);
      expect(res.headers.get("lead-linked")).toBeNull();
      await expectProblem(await convert(held.id, entity.id, "link"), 409, "lead_assigned_to_other_entity");
      await expectProblem(await convert(fresh.id, entity.id, "merge"), 400, "validation_error");
    });

    it("links into a client another tool stored odd values in: the answer and its event carry them as documented", async () => {
      const entity = await givenEntity(target().db);
      const clientId = crypto.randomUUID();
      await target().db.$client.execute({
        sql: `insert into clients (id, financial_entity_id, ecosystem_id, name, nit, nit_key, quota, score, history, payment_data, additional_data)
              values (?, ?, ?, 'Odd', '901.777.001-0', '901777001', 'abc', 'high', 'not json', '[1,2]', '"text"')`,
        args: [clientId, entity.id, entity.ecosystemId],
      });
      const lead = await givenLead(target().db, { ecosystemId: entity.ecosystemId, nit: "901777001" });

      const res = await convert(lead.id, entity.id, "link");

      expect(res.status).toBe(200);
      const user = await jsonOf(res);
      expect(user).toMatchObject({
        _id: clientId,
        quota: null,
        score: null,
        history: [],
        payment_data: {},
        additional_data: {},
      });
      const [event] = await eventsForLead(target().db, lead.id);
      expect(event!.payload.data.user).toEqual(user);
    });

    it("a client with an empty NIT key is never a link target", async () => {
      const entity = await givenEntity(target().db);
      await givenClient(target().db, {
        financialEntityId: entity.id,
        ecosystemId: entity.ecosystemId,
        nit: "--",
        name: null,
      });
      const lead = await givenLead(target().db, { ecosystemId: entity.ecosystemId, nit: "..." });

      const res = await convert(lead.id, entity.id, "link");

      expect(res.status).toBe(200);
      expect(res.headers.get("lead-linked")).toBeNull();
    });
  });

  describe("on_existing_client: link — the bulk endpoint", () => {
    it("links leads into the existing client and into a client made earlier in the same call, and replays them linked", async () => {
      const { entity, existing, lead } = await givenExistingClientAndLead();
      const first = await givenLead(target().db, {
        ecosystemId: entity.ecosystemId,
        nit: "123.456.789-6",
        name: "First",
      });
      const twin = await givenLead(target().db, {
        ecosystemId: entity.ecosystemId,
        nit: "123456789",
        name: "Twin",
        image: null,
      });
      const ids = [lead.id, first.id, twin.id];

      const res = await bulk(target(), entity.id, ids, { on_existing_client: "link" });
      expect(res.status).toBe(200);
      const items = (await jsonOf(res)).results;

      expect(items.map((i: any) => [i.status, i.replayed, i.linked])).toEqual([
        [200, false, true],
        [200, false, false],
        [200, false, true],
      ]);
      expect(items[0].user._id).toBe(existing.id);
      expect(items[2].user._id).toBe(items[1].user._id);
      expect(items[2].user.name).toBe("First");
      expect((await auditFor(target().db, twin.id))[0]).toMatchObject({ linked: true, clientId: items[1].user._id });

      const again = (await jsonOf(await bulk(target(), entity.id, ids))).results;
      expect(again.map((i: any) => [i.status, i.replayed, i.linked, i.user._id])).toEqual(
        items.map((i: any) => [200, true, i.linked, i.user._id]),
      );
      expect(await findInvariantViolations(target().db)).toEqual([]);
    });
  });
};

/** Linking is one database request too. */
export const linkRoundTrips: ContractSuite = (target) =>
  describe("database round trips with link", () => {
    it("one for a link, one for its replay, one for a bulk call that links", async () => {
      const requests = target().dbRequests!;
      const entity = await givenEntity(target().db);
      await givenClient(target().db, {
        financialEntityId: entity.id,
        ecosystemId: entity.ecosystemId,
        nit: "420.042.004-3",
      });
      const lead = await givenLead(target().db, { ecosystemId: entity.ecosystemId, nit: "420042004" });
      const others = await Promise.all(
        [1, 2].map(() => givenLead(target().db, { ecosystemId: entity.ecosystemId, nit: "420.042.004" })),
      );
      const token = await tokenFor(entity.id);
      const body = { lead_id: lead.id, financial_entity_id: entity.id, on_existing_client: "link" };
      const measure = async (send: () => Promise<Response>) => {
        await requests.reset();
        const res = await send();
        await res.arrayBuffer();
        return { status: res.status, linked: res.headers.get("lead-linked"), round_trips: await requests.count() };
      };

      expect(await measure(() => target().fetch(CONVERT_PATH, conversionRequest(token, body)))).toEqual({
        status: 200,
        linked: "true",
        round_trips: 1,
      });
      expect(await measure(() => target().fetch(CONVERT_PATH, conversionRequest(token, body)))).toEqual({
        status: 200,
        linked: "true",
        round_trips: 1,
      });
      expect(
        await measure(() =>
          bulk(
            target(),
            entity.id,
            others.map((o) => o.id),
            { on_existing_client: "link" },
            token,
          ),
        ),
      ).toEqual({
        status: 200,
        linked: null,
        round_trips: 1,
      });
    });
  });
