import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { FailureMode } from "../../scripts/libsql-server/instruments";
import { findInvariantViolations } from "../../src/db/invariants";
import { expectProblem } from "../contract/expect";
import { givenConvertibleLead, readLead, writesFor } from "../support/builders";
import { CONVERT_PATH, conversionRequest, jsonOf } from "../support/requests";
import { startWorkerTarget } from "../support/targets";
import { tokenFor } from "../support/tokens";

// Faults between the Worker and its database, injected by the local libSQL server.
// The Worker is configured with a 1.5 s database deadline (production default: 5 s).
const DEADLINE_MS = 1_500;

let target: Awaited<ReturnType<typeof startWorkerTarget>>;
beforeAll(async () => {
  target = await startWorkerTarget({ vars: { DATABASE_TIMEOUT_MS: String(DEADLINE_MS) } });
});
afterAll(() => target?.close());
afterEach(async () => {
  target.server.setLatency(0);
  expect(await findInvariantViolations(target.db)).toEqual([]);
});

async function attempt() {
  const { entity, lead } = await givenConvertibleLead(target.db);
  const init = conversionRequest(await tokenFor(entity.id), { lead_id: lead.id, financial_entity_id: entity.id });
  const send = async () => {
    const started = performance.now();
    const res = await target.fetch(CONVERT_PATH, init);
    return { res, elapsedMs: performance.now() - started };
  };
  return { lead, send };
}

/** The fault answer: a 503 problem saying a retry is safe, and nothing internal. */
async function expectUnavailable(res: Response) {
  expect(res.headers.get("retry-after")).toBe("1");
  const body = await expectProblem(res, 503, "service_unavailable");
  expect(JSON.stringify(body)).not.toMatch(/sqlite|hrana|fetch failed|insert|select|at .*\.(ts|js)/i);
}

describe("faults between the service and the database", () => {
  for (const mode of ["500", "503", "drop"] as FailureMode[]) {
    it(`a request that fails before the database acts (${mode}): 503, nothing written, and a retry converts`, async () => {
      const { lead, send } = await attempt();
      target.server.failNext(1, mode);

      await expectUnavailable((await send()).res);
      expect(await writesFor(target.db, lead.id)).toEqual({ clients: 0, audits: 0 });
      expect(await readLead(target.db, lead.id)).toMatchObject({ status: "qualified", convertedClientId: null });

      const retry = await send();
      expect(retry.res.status).toBe(200);
      expect(retry.res.headers.get("idempotent-replayed")).toBeNull();
    });
  }

  it("a response lost after the commit: 503, and the retry replays the client that was made", async () => {
    const { lead, send } = await attempt();
    target.server.failNext(1, "drop-after");

    await expectUnavailable((await send()).res);
    const made = await readLead(target.db, lead.id);
    expect(made?.convertedClientId).toEqual(expect.any(String));

    const retry = await send();
    expect(retry.res.status).toBe(200);
    expect(retry.res.headers.get("idempotent-replayed")).toBe("true");
    expect((await jsonOf(retry.res))._id).toBe(made!.convertedClientId);
    expect(await writesFor(target.db, lead.id)).toEqual({ clients: 1, audits: 1 });
  });

  it("a database slower than the deadline: 503 once the deadline passes, never a hang", async () => {
    const { lead, send } = await attempt();
    target.server.setLatency(DEADLINE_MS * 2);

    const slow = await send();
    await expectUnavailable(slow.res);
    expect(slow.elapsedMs).toBeGreaterThanOrEqual(DEADLINE_MS - 50);
    expect(slow.elapsedMs).toBeLessThan(DEADLINE_MS + 5_000);

    // The late request may still commit on the server: a retry then replays it, or converts.
    target.server.setLatency(0);
    await new Promise((resolve) => setTimeout(resolve, DEADLINE_MS * 2));
    const retry = await send();
    expect(retry.res.status).toBe(200);
    expect(await writesFor(target.db, lead.id)).toEqual({ clients: 1, audits: 1 });
  });

  it("the database server stopped: 503 while it is down, and conversions resume once it is back", async () => {
    const { lead, send } = await attempt();
    await target.server.close();
    try {
      await expectUnavailable((await send()).res);
      expect(await writesFor(target.db, lead.id)).toEqual({ clients: 0, audits: 0 });
    } finally {
      await target.restartServer();
    }
    expect((await send()).res.status).toBe(200);
  });

  it("all or nothing over the HTTP batch: a failure at its last write leaves nothing written, and answers a bare 500", async () => {
    // A test-only trigger makes the audit insert, the batch's last write, fail inside the server's transaction.
    await target.db.$client.execute(
      "CREATE TRIGGER fail_audit BEFORE INSERT ON lead_conversions BEGIN SELECT RAISE(ABORT, 'audit refused by test'); END",
    );
    try {
      const { lead, send } = await attempt();
      const before = await readLead(target.db, lead.id);

      const { res } = await send();

      const body = await expectProblem(res, 500, "internal_error");
      expect(res.headers.get("retry-after")).toBeNull();
      expect(JSON.stringify(body)).not.toMatch(/audit refused|trigger|lead_conversions|insert|sqlite|hrana/i);
      expect(await writesFor(target.db, lead.id)).toEqual({ clients: 0, audits: 0 });
      expect(await readLead(target.db, lead.id)).toEqual(before);
    } finally {
      await target.db.$client.execute("DROP TRIGGER fail_audit");
    }
  });

  it("readiness reports the outage too", async () => {
    // /readyz asks at most once a second: the outage is asked about only after the last answer is a second old.
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    target.server.failNext(1, "503");
    await expectUnavailable(await target.fetch("/readyz"));
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    expect((await target.fetch("/readyz")).status).toBe(200);
  });
});
