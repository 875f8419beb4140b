import { readFileSync } from "node:fs";
import { count, eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/client";
import { findInvariantViolations } from "../../src/db/invariants";
import { clients, ecosystems, financialEntities, leadConversions, leads } from "../../src/db/schema";
import { loadSeed, SeedError } from "../../src/db/seed";
import { createTestDatabase, type TestDatabase } from "../support/database";

let database: TestDatabase;
beforeEach(async () => {
  database = await createTestDatabase();
});
afterEach(() => database.close());

async function counts(db: Database) {
  const n = async (table: typeof ecosystems | typeof financialEntities | typeof leads | typeof clients) =>
    (await db.select({ n: count() }).from(table))[0]!.n;
  return {
    ecosystems: await n(ecosystems),
    financial_entities: await n(financialEntities),
    leads: await n(leads),
    users: await n(clients),
  };
}

/** A small valid file, built fresh so every test owns its ids. */
function validFile() {
  const ecosystem = crypto.randomUUID();
  const entity = crypto.randomUUID();
  return {
    ecosystems: [{ id: ecosystem, name: "Eco" }],
    financial_entities: [{ id: entity, ecosystem_id: ecosystem, name: "Fintech", status: "active" }],
    leads: [
      {
        id: crypto.randomUUID(),
        ecosystem_id: ecosystem,
        financial_entity_id: null,
        name: "Ana",
        quota: 100,
        nit: "860.034.313-7",
      },
      {
        id: crypto.randomUUID(),
        ecosystem_id: ecosystem,
        financial_entity_id: entity,
        quota: "2500.50",
        payment_data: { a: 1 },
      },
    ],
    users: [{ id: crypto.randomUUID(), financial_entity_id: entity, name: "Client", nit: "890.903.938-8" }],
  };
}

async function expectRefused(input: unknown, issues: { path: string; message: RegExp | string }[]) {
  const before = await counts(database.db);
  const error = await loadSeed(database.db, input).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SeedError);
  expect((error as SeedError).issues).toEqual(
    issues.map((i) => ({
      path: i.path,
      message: typeof i.message === "string" ? i.message : expect.stringMatching(i.message),
    })),
  );
  expect(await counts(database.db)).toEqual(before);
}

describe("the seed loader", () => {
  it("loads a valid file and reports what it wrote", async () => {
    const file = validFile();

    expect(await loadSeed(database.db, file)).toEqual({ ecosystems: 1, financial_entities: 1, leads: 2, users: 1 });
    expect(await counts(database.db)).toEqual({ ecosystems: 1, financial_entities: 1, leads: 2, users: 1 });
    const [numeric] = await database.db
      .select({ quota: leads.quota })
      .from(leads)
      .where(eq(leads.id, file.leads[1]!.id));
    expect(numeric!.quota).toBe(2500.5);
  });

  it("loads the demo data set", async () => {
    const demo = JSON.parse(readFileSync(new URL("../../scripts/demo-data.json", import.meta.url), "utf8"));
    expect(await loadSeed(database.db, demo)).toMatchObject({ ecosystems: 2, users: 1 });
  });

  it("refuses a bad field by its path, writing nothing — not even the valid records", async () => {
    const file = validFile();
    (file.leads[1] as Record<string, unknown>).quota = "a lot";
    (file.users[0] as Record<string, unknown>).email = 42;

    await expectRefused(file, [
      { path: "leads[1].quota", message: "must be a number" },
      { path: "users[0].email", message: /string/ },
    ]);
  });

  it("refuses unknown fields, catching typos", async () => {
    const file = validFile();
    (file.leads[0] as Record<string, unknown>).bussiness_name = "typo";

    await expectRefused(file, [{ path: "leads[0]", message: /bussiness_name/ }]);
  });

  it("refuses ids that are not UUIDs and statuses that do not exist", async () => {
    const file = validFile();
    (file.ecosystems[0] as { id: string }).id = "eco-1";
    file.financial_entities[0]!.status = "paused";

    await expectRefused(file, [
      { path: "ecosystems[0].id", message: "must be a UUID" },
      { path: "financial_entities[0].status", message: /active|suspended/ },
    ]);
  });

  it("refuses references to records that exist neither in the file nor in the database", async () => {
    const file = validFile();
    file.leads[0]!.ecosystem_id = crypto.randomUUID();
    file.users[0]!.financial_entity_id = crypto.randomUUID();

    await expectRefused(file, [
      { path: "leads[0].ecosystem_id", message: "no such ecosystem" },
      { path: "users[0].financial_entity_id", message: "no such financial entity" },
    ]);
  });

  it("refuses a lead assigned to an entity of another ecosystem", async () => {
    const file = validFile();
    const elsewhere = crypto.randomUUID();
    file.ecosystems.push({ id: elsewhere, name: "Elsewhere" });
    file.leads[1]!.ecosystem_id = elsewhere;

    await expectRefused(file, [
      { path: "leads[1].financial_entity_id", message: "the financial entity belongs to another ecosystem" },
    ]);
  });

  it("refuses ids repeated in the file or already in the database", async () => {
    const first = validFile();
    await loadSeed(database.db, first);
    const second = validFile();
    second.leads[0]!.id = first.leads[0]!.id;
    second.users.push({ ...second.users[0]!, nit: "other" });

    await expectRefused(second, [
      { path: "leads[0].id", message: "already exists in the database" },
      { path: "users[1].id", message: "appears twice in the file" },
    ]);
  });

  it("refuses two clients of one entity with the same NIT, however written", async () => {
    const file = validFile();
    file.users.push({
      id: crypto.randomUUID(),
      financial_entity_id: file.users[0]!.financial_entity_id,
      name: "Twin",
      nit: "890903938",
    });
    file.users.push({
      id: crypto.randomUUID(),
      financial_entity_id: file.users[0]!.financial_entity_id,
      name: "Prefixed",
      nit: "NIT: 890 903 938 - 8",
    });

    await expectRefused(file, [
      { path: "users[1].nit", message: /already has a client with this NIT/ },
      { path: "users[2].nit", message: /already has a client with this NIT/ },
    ]);
  });

  it("refuses two clients of one entity whose NITs differ only in Unicode separators, widths or case", async () => {
    const file = validFile();
    const entity = file.users[0]!.financial_entity_id;
    file.users.push({
      id: crypto.randomUUID(),
      financial_entity_id: entity,
      name: "Twin",
      nit: "\uff18\uff19\uff10\u00a0\uff19\uff10\uff13\u00a0\uff19\uff13\uff18\u2212\uff18",
    });
    file.users.push({ id: crypto.randomUUID(), financial_entity_id: entity, name: "Ñ", nit: "ÑAB.1" });
    file.users.push({ id: crypto.randomUUID(), financial_entity_id: entity, name: "ñ", nit: "ñab\u20131" });

    await expectRefused(file, [
      { path: "users[1].nit", message: /already has a client with this NIT/ },
      { path: "users[3].nit", message: /already has a client with this NIT/ },
    ]);
  });

  it("refuses a NIT the entity's clients in the database already hold, by their stored keys", async () => {
    const first = validFile();
    await loadSeed(database.db, first);

    await expectRefused(
      {
        users: [
          { id: crypto.randomUUID(), financial_entity_id: first.financial_entities[0]!.id, nit: "NIT 890903938" },
        ],
      },
      [{ path: "users[0].nit", message: /already has a client with this NIT/ }],
    );
  });

  it("stores each NIT's key on leads and clients", async () => {
    const file = validFile();
    file.leads[0]!.nit = "\uff19\uff10\uff10.\uff11 ñ";
    await loadSeed(database.db, file);

    const [lead] = await database.db
      .select({ nitKey: leads.nitKey })
      .from(leads)
      .where(eq(leads.id, file.leads[0]!.id));
    const [withoutNit] = await database.db
      .select({ nitKey: leads.nitKey })
      .from(leads)
      .where(eq(leads.id, file.leads[1]!.id));
    const [client] = await database.db
      .select({ nitKey: clients.nitKey })
      .from(clients)
      .where(eq(clients.id, file.users[0]!.id));
    expect(lead!.nitKey).toBe("9001Ñ");
    expect(withoutNit!.nitKey).toBe("");
    expect(client!.nitKey).toBe("890903938");
  });

  it("refuses a NIT whose check digit is wrong, naming the field and the right digit, writing nothing", async () => {
    const file = validFile();
    file.leads[0]!.nit = "900.123.456-7";
    (file.leads[1] as Record<string, unknown>).nit = "NIT 900123456-8";
    file.users[0]!.nit = "80.123.456-2";

    await expectRefused(file, [
      { path: "leads[0].nit", message: "the check digit of 900123456 is 8, not 7" },
      { path: "users[0].nit", message: "the check digit of 80123456 is 4, not 2" },
    ]);
  });

  it("takes NITs without a check digit, and what is not a Colombian NIT, as written", async () => {
    const file = validFile();
    file.leads[0]!.nit = "9001234567";
    (file.leads[1] as Record<string, unknown>).nit = "CC 1.020.304.050";
    file.users[0]!.nit = "900-123-456-7";

    await loadSeed(database.db, file);
    const stored = await database.db.select({ nit: leads.nit, nitKey: leads.nitKey }).from(leads);
    expect(stored).toEqual(
      expect.arrayContaining([
        { nit: "9001234567", nitKey: "9001234567" },
        { nit: "CC 1.020.304.050", nitKey: "CC1020304050" },
      ]),
    );
    expect(await database.db.select({ nitKey: clients.nitKey }).from(clients)).toEqual([{ nitKey: "9001234567" }]);
  });

  it("refuses lead statuses outside the vocabulary", async () => {
    const file = validFile();
    (file.leads[0] as Record<string, unknown>).status = "won";
    (file.leads[1] as Record<string, unknown>).status = "Qualified";

    await expectRefused(file, [
      { path: "leads[0].status", message: "must be one of new, contacted, qualified, unqualified, lost, converted" },
      { path: "leads[1].status", message: "must be one of new, contacted, qualified, unqualified, lost, converted" },
    ]);
  });

  it("accepts every status of the vocabulary but converted without more", async () => {
    const file = validFile();
    const ecosystem = file.ecosystems[0]!.id;
    file.leads = ["new", "contacted", "qualified", "unqualified", "lost"].map((status) => ({
      id: crypto.randomUUID(),
      ecosystem_id: ecosystem,
      status,
    })) as unknown as typeof file.leads;

    expect((await loadSeed(database.db, file)).leads).toBe(5);
  });

  it("refuses a converted lead unless a user of the file names it", async () => {
    const file = validFile();
    (file.leads[0] as Record<string, unknown>).status = "converted";

    await expectRefused(file, [
      { path: "leads[0].status", message: "a converted lead needs a user in this file whose lead_id names it" },
    ]);
  });

  it("links a converted lead and the user naming it both ways, as a conversion would", async () => {
    const file = validFile();
    const lead = file.leads[0]!;
    const user = file.users[0]! as (typeof file.users)[number] & { lead_id?: string };
    (lead as Record<string, unknown>).status = "converted";
    user.lead_id = lead.id;

    await loadSeed(database.db, file);

    const [row] = await database.db.select().from(leads).where(eq(leads.id, lead.id));
    expect(row).toMatchObject({
      status: "converted",
      convertedClientId: user.id,
      financialEntityId: user.financial_entity_id,
    });
    expect(Date.parse(row!.convertedAt!)).not.toBeNaN();
    const [client] = await database.db.select({ leadId: clients.leadId }).from(clients).where(eq(clients.id, user.id));
    expect(client!.leadId).toBe(lead.id);
    const audit = await database.db.select().from(leadConversions).where(eq(leadConversions.leadId, lead.id));
    expect(audit).toEqual([
      expect.objectContaining({ clientId: user.id, financialEntityId: user.financial_entity_id, subject: "seed" }),
    ]);
    expect(await findInvariantViolations(database.db)).toEqual([]);
  });

  it("what it prevents, the invariants report: a lead marked converted without a client", async () => {
    const file = validFile();
    await loadSeed(database.db, file);
    await database.db.$client.execute({
      sql: "update leads set status = 'converted' where id = ?",
      args: [file.leads[0]!.id],
    });

    expect(await findInvariantViolations(database.db)).toEqual([expect.objectContaining({ ids: [file.leads[0]!.id] })]);
  });

  it("refuses a user naming a lead it could not have been converted from", async () => {
    const file = validFile();
    const entity = file.financial_entities[0]!;
    const otherEcosystem = crypto.randomUUID();
    const rival = crypto.randomUUID();
    file.ecosystems.push({ id: otherEcosystem, name: "Other" });
    file.financial_entities.push({ id: rival, ecosystem_id: entity.ecosystem_id, name: "Rival", status: "active" });
    const lead = (overrides: Record<string, unknown>) => ({
      id: crypto.randomUUID(),
      ecosystem_id: entity.ecosystem_id,
      status: "converted",
      ...overrides,
    });
    file.leads = [
      lead({ status: "new" }),
      lead({ ecosystem_id: otherEcosystem }),
      lead({ financial_entity_id: rival }),
      lead({}),
    ] as unknown as typeof file.leads;
    const user = (leadId: string) => ({ id: crypto.randomUUID(), financial_entity_id: entity.id, lead_id: leadId });
    file.users = [
      user(file.leads[0]!.id),
      user(file.leads[1]!.id),
      user(file.leads[2]!.id),
      user(file.leads[3]!.id),
      user(file.leads[3]!.id),
      user(crypto.randomUUID()),
    ] as unknown as typeof file.users;

    await expectRefused(file, [
      { path: "users[0].lead_id", message: 'leads[0] must have status "converted"' },
      { path: "users[1].lead_id", message: "leads[1] belongs to another ecosystem" },
      { path: "users[2].lead_id", message: "leads[2] is assigned to another financial entity" },
      { path: "users[4].lead_id", message: "users[3] already names this lead" },
      { path: "users[5].lead_id", message: "no such lead in this file" },
    ]);
  });

  it("refuses text holding a NUL, which the database would read back cut short", async () => {
    const file = validFile();
    file.leads[0]!.name = "ab\u0000cd";
    (file.users[0] as Record<string, unknown>).address = "\u0000";
    file.ecosystems[0]!.name = "Eco\u0000";

    await expectRefused(file, [
      { path: "ecosystems[0].name", message: "must not contain a NUL character (U+0000)" },
      { path: "leads[0].name", message: "must not contain a NUL character (U+0000)" },
      { path: "users[0].address", message: "must not contain a NUL character (U+0000)" },
    ]);
  });

  it("refuses a file that is not an object", async () => {
    await expectRefused([], [{ path: "(file)", message: /object/ }]);
  });

  it("builds on what the database holds: leads for an ecosystem loaded earlier", async () => {
    const first = validFile();
    await loadSeed(database.db, first);

    const more = { leads: [{ id: crypto.randomUUID(), ecosystem_id: first.ecosystems[0]!.id, name: "Late" }] };

    expect(await loadSeed(database.db, more)).toEqual({ ecosystems: 0, financial_entities: 0, leads: 1, users: 0 });
  });
});
