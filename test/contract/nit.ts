import { describe, expect, it } from "vitest";
import { migrateDatabase } from "../../src/db/migrate";
import { givenClient, givenEntity, givenLead, readLead, writesFor } from "../support/builders";
import { CONVERT_PATH, conversionRequest, jsonOf } from "../support/requests";
import { tokenFor } from "../support/tokens";
import { bulk } from "./bulk";
import { expectProblem } from "./expect";
import type { ContractSuite } from "./target";

/** Every way nit.md says the NIT 900123456 may be written, and a few more people and tools use. */
const ONE_PARTY = [
  "900.123.456-8",
  "900123456-8",
  "900 123 456 - 8",
  "NIT: 900.123.456-8",
  "900.123.456",
  "900123456",
  "\uff19\uff10\uff10.\uff11\uff12\uff13.\uff14\uff15\uff16\u2212\uff18",
  "N.I.T. 900'123'456",
  "nit No. 0900123456-8",
  "900\u00a0123\u00a0456\u2011 8",
];

/** Two clients of one entity, one party: the first is found whoever wrote it, and the conversions behind them agree. */
export const nitIdentity: ContractSuite = (target) => {
  const convert = async (leadId: string, entityId: string, extra: Record<string, unknown> = {}) =>
    target().fetch(
      CONVERT_PATH,
      conversionRequest(await tokenFor(entityId), { lead_id: leadId, financial_entity_id: entityId, ...extra }),
    );
  const givenEntityWithClient = async (nit: string | null, nitKey?: string | null) => {
    const entity = await givenEntity(target().db);
    const client = await givenClient(target().db, {
      financialEntityId: entity.id,
      ecosystemId: entity.ecosystemId,
      nit,
      ...(nitKey === undefined ? {} : { nitKey }),
    });
    return { entity, client };
  };
  const leadOf = (ecosystemId: string, nit: string) => givenLead(target().db, { ecosystemId, nit });

  describe("NIT identity (nit.md): one party however its NIT is written", () => {
    it("a lead with any writing of a client's NIT is 409 client_already_exists naming that client", async () => {
      for (const [i, clientNit] of ONE_PARTY.entries()) {
        const { entity, client } = await givenEntityWithClient(clientNit);
        const leadNits = i === 0 ? ONE_PARTY : [ONE_PARTY[(i + 1) % ONE_PARTY.length]!];
        for (const leadNit of leadNits) {
          const lead = await leadOf(entity.ecosystemId, leadNit);

          const body = await expectProblem(await convert(lead.id, entity.id), 409, "client_already_exists");

          expect(body.existing_user_id, `${clientNit} / ${leadNit}`).toBe(client.id);
          expect(await writesFor(target().db, lead.id)).toEqual({ clients: 0, audits: 0 });
        }
      }
    });

    it("with on_existing_client: link, a lead with any writing of the NIT is linked into the client", async () => {
      const { entity, client } = await givenEntityWithClient("900.123.456-8");
      for (const nit of ONE_PARTY) {
        const lead = await leadOf(entity.ecosystemId, nit);

        const res = await convert(lead.id, entity.id, { on_existing_client: "link" });

        expect(res.status, nit).toBe(200);
        expect(res.headers.get("lead-linked"), nit).toBe("true");
        expect((await jsonOf(res))._id, nit).toBe(client.id);
        // The NIT is stored as written; only the key is normalized.
        expect(await readLead(target().db, lead.id)).toMatchObject({ nit, convertedClientId: client.id });
      }
    });

    it("in one bulk call, the first writing converts and every later one names its client", async () => {
      const entity = await givenEntity(target().db);
      const leads = [];
      for (const nit of ONE_PARTY) leads.push(await leadOf(entity.ecosystemId, nit));

      const res = await bulk(
        target(),
        entity.id,
        leads.map((l) => l.id),
      );

      expect(res.status).toBe(200);
      const [first, ...later] = (await jsonOf(res)).results;
      expect(first).toMatchObject({ status: 200, user: { nit: ONE_PARTY[0] } });
      expect(later.map((item: any) => [item.status, item.problem?.code, item.problem?.existing_user_id])).toEqual(
        later.map(() => [409, "client_already_exists", first.user._id]),
      );
    });

    it("ten digits without a dash, and another document's number, are other parties", async () => {
      const { entity } = await givenEntityWithClient("900.123.456-8");
      for (const nit of ["9001234568", "CC 900123456"]) {
        const lead = await leadOf(entity.ecosystemId, nit);

        const res = await convert(lead.id, entity.id);

        expect(res.status, nit).toBe(200);
        expect(res.headers.get("lead-linked"), nit).toBeNull();
        expect((await jsonOf(res)).nit).toBe(nit);
      }
      // And, of one call, both are converted beside 900123456 itself.
      const other = await givenEntity(target().db);
      const leads = [];
      for (const nit of ["900123456-8", "9001234568", "CC 900123456"]) leads.push(await leadOf(other.ecosystemId, nit));
      const items = (
        await jsonOf(
          await bulk(
            target(),
            other.id,
            leads.map((l) => l.id),
          ),
        )
      ).results;
      expect(items.map((item: any) => item.status)).toEqual([200, 200, 200]);
    });

    it("a lead stored with a wrong DV converts as before, and is found by its base number", async () => {
      const entity = await givenEntity(target().db);
      const stored = await leadOf(entity.ecosystemId, "900.123.456-7");
      const res = await convert(stored.id, entity.id);
      expect(res.status).toBe(200);
      const client = await jsonOf(res);
      expect(client.nit).toBe("900.123.456-7");

      const twin = await leadOf(entity.ecosystemId, "900123456-8");
      const body = await expectProblem(await convert(twin.id, entity.id), 409, "client_already_exists");
      expect(body.existing_user_id).toBe(client._id);
    });
  });

  describe("NIT keys another tool left: npm run db:migrate", () => {
    it("keys a client stored with a wrong DV and no key by its base number, so a lead of the NIT finds it", async () => {
      const { entity, client } = await givenEntityWithClient("900.123.456-7", null);
      const lead = await leadOf(entity.ecosystemId, "NIT 900123456");

      await migrateDatabase(target().db, { warn: () => {} });

      const body = await expectProblem(await convert(lead.id, entity.id), 409, "client_already_exists");
      expect(body.existing_user_id).toBe(client.id);
      const linked = await convert(lead.id, entity.id, { on_existing_client: "link" });
      expect((await jsonOf(linked))._id).toBe(client.id);
    });

    it("reports clients whose keys collide by id, never by NIT; the older keeps the key", async () => {
      const entity = await givenEntity(target().db);
      const older = crypto.randomUUID();
      const newer = crypto.randomUUID();
      const insert = (id: string, nit: string, createdAt: string) => ({
        sql: "insert into clients (id, financial_entity_id, ecosystem_id, nit, created_at) values (?, ?, ?, ?, ?)",
        args: [id, entity.id, entity.ecosystemId, nit, createdAt],
      });
      await target().db.$client.batch([
        insert(newer, "NIT 900.123.456", "2026-02-01T00:00:00.000Z"),
        insert(older, "900.123.456-8", "2026-01-01T00:00:00.000Z"),
      ]);
      const warnings: string[] = [];

      const report = await migrateDatabase(target().db, { warn: (message) => warnings.push(message) });

      expect(report.collisions.filter((c) => c.financialEntityId === entity.id)).toEqual([
        { financialEntityId: entity.id, keptId: older, unkeyedId: newer },
      ]);
      const mine = warnings.filter((w) => w.includes(entity.id));
      expect(mine).toHaveLength(1);
      expect(mine[0]).toContain(older);
      expect(mine[0]).toContain(newer);
      for (const nit of ["900.123.456", "900123456", "NIT 900"]) expect(mine[0]).not.toContain(nit);
      const lead = await leadOf(entity.ecosystemId, "900123456");
      const body = await expectProblem(await convert(lead.id, entity.id), 409, "client_already_exists");
      expect(body.existing_user_id).toBe(older);
    });
  });
};
