import { sql } from "drizzle-orm";
import { issueToken } from "../scripts/lib/token";
import { createApp, inProcessRateLimits } from "../src/app";
import type { Database } from "../src/db/client";
import { LEADS_READ_SCOPE, LEADS_WRITE_SCOPE } from "../src/domain/scopes";
import { BENCH_SECRET, type EdgeEnv } from "./lib/edge-env";
import { freshDatabase } from "./lib/fresh-database";
import { percentile, round } from "./lib/stats";

const LEADS_PATH = "/leads";
const BULK_PATH = "/leads/bulk";
const BULK_SIZE = 500;
const PAGE = 100;

export interface LeadsResult {
  lead_creates: number;
  lead_create_p50_ms: number;
  lead_create_p99_ms: number;
  lead_bulk_leads: number;
  lead_bulk_per_s: number;
  lead_single_per_s: number;
  lead_bulk_ratio_vs_single: number;
  lead_bulk_call_p50_ms: number;
  lead_bulk_db_requests_per_call: number;
  list_pages: number;
  list_page_p50_ms_1k: number;
  list_page_p50_ms_1m: number;
  list_page_ratio_1m_vs_1k: number;
  list_rows_1m: number;
}

export interface LeadsSizes {
  /** Single creates, one caller, each timed. */
  creates: number;
  /** Leads created in calls of 500. */
  bulkLeads: number;
  /** Pages of 100 read from each database. */
  pages: number;
  /** Leads in the large database (1,000,000 in a full run). */
  largeLeads: number;
}

let made = 0;
/** A lead's body as an intake form would send it; every one a party of its own (distinct NIT). */
const leadBody = (tag: string) => {
  made += 1;
  return {
    name: "Lead",
    lastname: `${tag} ${made}`,
    business_name: "Bench S.A.S.",
    email: `lead${made}@example.com`,
    phone: "+57 300 000 0000",
    nit: `7${String(made).padStart(9, "0")}${tag.length}`,
    status: "new",
  };
};

/**
 * The lead lifecycle at the round trip the server is set to, one sequential caller
 * through the app in this process: `creates` single `POST /leads`, then `bulkLeads`
 * in `POST /leads/bulk` calls of 500 (each call's database requests counted at the
 * server). Then a page of 100 from `GET /leads` on a database of 1,000 leads and
 * on one of `largeLeads`, same filters, no round trip: the cost of a page must not
 * grow with the table.
 */
export async function measureLeads(env: EdgeEnv, sizes: LeadsSizes): Promise<LeadsResult> {
  const writer = await issueToken({
    secret: BENCH_SECRET,
    financialEntityId: env.data.entityId,
    scope: `${LEADS_WRITE_SCOPE} ${LEADS_READ_SCOPE}`,
  });
  const creates: number[] = [];
  const singleStarted = performance.now();
  for (let i = 0; i < sizes.creates; i += 1) {
    const at = performance.now();
    const res = await env.postInProcess(LEADS_PATH, leadBody("single"), writer);
    await res.arrayBuffer();
    if (res.status !== 201) throw new Error(`POST /leads answered ${res.status}`);
    creates.push(performance.now() - at);
  }
  const singlePerSecond = sizes.creates / ((performance.now() - singleStarted) / 1000);

  const calls: number[] = [];
  let maxRequests = 0;
  const bulkStarted = performance.now();
  for (let i = 0; i < sizes.bulkLeads; i += BULK_SIZE) {
    const leads = Array.from({ length: Math.min(BULK_SIZE, sizes.bulkLeads - i) }, () => leadBody("bulk"));
    const at = performance.now();
    const requests = await env.counted(async () => {
      const res = await env.postInProcess(BULK_PATH, { leads }, writer);
      if (res.status !== 200) throw new Error(`POST /leads/bulk answered ${res.status}`);
      const { results } = (await res.json()) as { results: { status: number }[] };
      const created = results.filter((item) => item.status === 201).length;
      if (created !== leads.length) throw new Error(`a bulk create made ${created} of ${leads.length} leads`);
    });
    calls.push(performance.now() - at);
    maxRequests = Math.max(maxRequests, requests);
  }
  const bulkPerSecond = sizes.bulkLeads / ((performance.now() - bulkStarted) / 1000);

  const small = await listPages(1_000, sizes.pages);
  const large = await listPages(sizes.largeLeads, sizes.pages);
  return {
    lead_creates: sizes.creates,
    lead_create_p50_ms: round(percentile(creates, 0.5)),
    lead_create_p99_ms: round(percentile(creates, 0.99)),
    lead_bulk_leads: sizes.bulkLeads,
    lead_bulk_per_s: round(bulkPerSecond),
    lead_single_per_s: round(singlePerSecond),
    lead_bulk_ratio_vs_single: round(bulkPerSecond / singlePerSecond),
    lead_bulk_call_p50_ms: round(percentile(calls, 0.5)),
    lead_bulk_db_requests_per_call: maxRequests,
    list_pages: sizes.pages,
    list_page_p50_ms_1k: round(small, 2),
    list_page_p50_ms_1m: round(large, 2),
    list_page_ratio_1m_vs_1k: round(large / small, 2),
    list_rows_1m: sizes.largeLeads,
  };
}

/**
 * p50 of `pages` pages of 100 read through `GET /leads` (following `next_after`), by
 * an entity of an ecosystem holding `total` unassigned leads, on an embedded database
 * of its own, the app in this process.
 */
async function listPages(total: number, pages: number): Promise<number> {
  const { db, data, remove } = await freshDatabase(`list-${total}`, (db) => seedManyLeads(db, total));
  try {
    const app = createApp({
      db,
      auth: { secret: BENCH_SECRET },
      rateLimits: inProcessRateLimits({ conversions: 1_000_000, requests: 1_000_000 }),
      logger: { info: () => {}, error: () => {} },
    });
    const token = await issueToken({ secret: BENCH_SECRET, financialEntityId: data.entityId, scope: LEADS_READ_SCOPE });
    const headers = { Authorization: `Bearer ${token}` };
    const times: number[] = [];
    let after: string | null = null;
    // One page untimed first: the statement cache and the file's pages are warm for both sizes alike.
    for (let i = 0; i <= pages; i += 1) {
      const query = new URLSearchParams({ limit: String(PAGE), assigned: "unassigned", ...(after ? { after } : {}) });
      const started = performance.now();
      const res = await app.request(`${LEADS_PATH}?${query}`, { headers });
      const body = (await res.json()) as { data: unknown[]; next_after: string | null };
      if (i > 0) times.push(performance.now() - started);
      if (res.status !== 200 || body.data.length !== PAGE) throw new Error(`GET /leads answered ${res.status}`);
      after = body.next_after;
    }
    return percentile(times, 0.5);
  } finally {
    db.$client.close();
    remove();
  }
}

/** One ecosystem, one entity and `total` unassigned leads, written by SQLite itself in one statement. */
async function seedManyLeads(db: Database, total: number) {
  const ecosystemId = crypto.randomUUID();
  const entityId = crypto.randomUUID();
  await db.run(sql`insert into ecosystems (id, name) values (${ecosystemId}, 'Bench')`);
  await db.run(
    sql`insert into financial_entities (id, ecosystem_id, name) values (${entityId}, ${ecosystemId}, 'Bench fintech')`,
  );
  // ids and creation instants in insertion order, as leads arriving one after another.
  await db.run(sql`
    with recursive n(i) as (select 1 union all select i + 1 from n where i < ${total})
    insert into leads (id, ecosystem_id, name, lastname, status, nit, nit_key, created_at)
    select printf('%08x-0000-4000-8000-%012x', i, i), ${ecosystemId}, 'Lead', '#' || i, 'new',
           '7' || printf('%09d', i), '7' || printf('%09d', i),
           strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || (i / 1000.0) || ' seconds')
    from n`);
  return { ecosystemId, entityId };
}
