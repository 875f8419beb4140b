import { type ApiKeySnapshot, decideOwnKeyAccess } from "./api-key";
import type { Acting, Caller } from "./caller";
import type { Client } from "./client";
import type { LeadStatus } from "./lead";
import { nitKey } from "./nit-key";
import type { LeadView } from "./read-lead";
import { LEADS_READ_SCOPE, tokenHasScope, USERS_READ_SCOPE } from "./scopes";

/** Where a page starts: just after the row with this stored `created_at` and id (rows are listed by both, oldest first). */
export interface PagePosition {
  createdAt: string;
  id: string;
}

/** `GET /leads` filters. `assigned: "me"` includes the entity's converted leads. */
export interface LeadFilters {
  status?: LeadStatus;
  assigned?: "me" | "unassigned";
  /** A NIT as written; compared by its key. */
  nit?: string;
  externalId?: string;
}

/** `GET /users` filters. */
export interface ClientFilters {
  nit?: string;
  /** Compared case-insensitively. */
  email?: string;
  /** The client this lead was converted (or linked) into. */
  leadId?: string;
}

export interface PageRequest<F> {
  filters: F;
  after: PagePosition | null;
  /** 1–100. */
  limit: number;
}

/** A row as listed, with the position it is paged by. */
export type Listed<T> = { item: T; position: PagePosition };

/**
 * Lists over one database request per page, served by indexes; the filters
 * arrive with the NIT already keyed. The store reads `limit + 1` rows: the
 * extra one says whether there is a next page.
 */
export interface ListStore {
  listLeads(
    as: Acting,
    request: PageRequest<Omit<LeadFilters, "nit"> & { nitKey?: string }>,
  ): Promise<{ rows: Listed<LeadView>[]; apiKey?: ApiKeySnapshot | null }>;
  listClients(
    as: Acting,
    request: PageRequest<Omit<ClientFilters, "nit"> & { nitKey?: string }>,
  ): Promise<{ rows: Listed<Client>[]; apiKey?: ApiKeySnapshot | null }>;
}

export type ListOutcome<T> =
  | { kind: "page"; items: T[]; next: PagePosition | null }
  | { kind: "unauthorized" }
  | { kind: "insufficient_scope" };

/** Rows read with one extra: the page, and where the next one starts when the extra row exists. */
function toPage<T>(rows: Listed<T>[], limit: number): ListOutcome<T> {
  const page = rows.slice(0, limit);
  return { kind: "page", items: page.map((r) => r.item), next: rows.length > limit ? page.at(-1)!.position : null };
}

async function list<T, F extends { nit?: string }>(
  ctx: { actor: Caller; now?: () => Date },
  scope: string,
  request: PageRequest<F>,
  read: (
    as: Acting,
    request: PageRequest<Omit<F, "nit"> & { nitKey?: string }>,
  ) => Promise<{
    rows: Listed<T>[];
    apiKey?: ApiKeySnapshot | null;
  }>,
): Promise<ListOutcome<T>> {
  const { actor } = ctx;
  if (actor.kind === "jwt" && !tokenHasScope(actor, scope)) return { kind: "insufficient_scope" };
  const at = (ctx.now?.() ?? new Date()).toISOString();
  const { nit, ...filters } = request.filters;
  const keyed = nit === undefined ? filters : { ...filters, nitKey: nitKey(nit) };
  const read_ = await read({ caller: actor, at }, { ...request, filters: keyed });
  if (actor.kind === "key") {
    const refusal = decideOwnKeyAccess(read_.apiKey, { at, scope });
    if (refusal !== null) return refusal;
  }
  return toPage(read_.rows, request.limit);
}

/**
 * A page of the leads the caller's entity may see (as `GET /leads/{lead_id}`
 * decides it: unassigned leads of its ecosystem, its own, those it converted),
 * oldest first.
 *
 * @example
 * const outcome = await listLeads({ ctx: { actor, store }, input: { filters: { assigned: "me" }, after: null, limit: 50 } });
 */
export function listLeads({
  ctx,
  input,
}: {
  ctx: { actor: Caller; store: ListStore; now?: () => Date };
  input: PageRequest<LeadFilters>;
}): Promise<ListOutcome<LeadView>> {
  return list(ctx, LEADS_READ_SCOPE, input, (as, request) => ctx.store.listLeads(as, request));
}

/**
 * A page of the caller's entity's clients, oldest first.
 *
 * @example
 * const outcome = await listClients({ ctx: { actor, store }, input: { filters: { email }, after: null, limit: 50 } });
 */
export function listClients({
  ctx,
  input,
}: {
  ctx: { actor: Caller; store: ListStore; now?: () => Date };
  input: PageRequest<ClientFilters>;
}): Promise<ListOutcome<Client>> {
  return list(ctx, USERS_READ_SCOPE, input, (as, request) => ctx.store.listClients(as, request));
}
