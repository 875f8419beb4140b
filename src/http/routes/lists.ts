import { zValidator } from "@hono/zod-validator";
import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import { LEAD_STATUSES } from "../../domain/lead";
import { type ListOutcome, type ListStore, listClients, listLeads, type PagePosition } from "../../domain/lists";
import { nitKey } from "../../domain/nit-key";
import { LEADS_READ_SCOPE, USERS_READ_SCOPE } from "../../domain/scopes";
import {
  bearerAuth,
  DEFAULT_RATE_LIMITS,
  INVALID_KEY_DESCRIPTION,
  insufficientScopeError,
  invalidToken,
  type RateLimiter,
  rateLimit,
  type TokenVerifier,
} from "../auth";
import { toLeadBody, toUserBody } from "../bodies";
import { decodeCursor, encodeCursor } from "../cursor";
import {
  DATABASE_UNAVAILABLE,
  INTERNAL_ERROR,
  INVALID_QUERY,
  MISSING_CREDENTIALS,
  missingScope,
  overBudget,
} from "../details";
import type { RouteContract } from "../openapi/contract";
import { header, ref } from "../openapi/parts";
import { type DocumentedProblem, problemsByStatus } from "../openapi/responses";
import { leadBodySchema, userBodySchema } from "../openapi/schemas";
import { ApiError } from "../problem";
import type { AppEnv } from "../types";
import { toValidationIssues } from "../validation";

export const LEADS_PATH = "/leads";
export const USERS_PATH = "/users";

/** The default page size, and the largest. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

const limit = z.optional(
  z
    .pipe(
      z.string().check(z.regex(/^\d{1,3}$/, `limit must be an integer between 1 and ${MAX_PAGE_SIZE}`)),
      z.transform(Number),
    )
    .check(z.refine((n) => n >= 1 && n <= MAX_PAGE_SIZE, `limit must be an integer between 1 and ${MAX_PAGE_SIZE}`)),
);
const after = z.optional(
  z.pipe(
    z.string(),
    z.transform((cursor, ctx): PagePosition => {
      const position = decodeCursor(cursor);
      if (position === null) {
        ctx.issues.push({ code: "custom", message: "after must be a next_after this API returned", input: cursor });
        return z.NEVER;
      }
      return position;
    }),
  ),
);
const nit = z.optional(
  z.string().check(
    z.maxLength(100, "nit must be at most 100 characters"),
    z.refine((value) => nitKey(value) !== "", "nit must contain a letter or a digit"),
  ),
);
/** `GET /leads` query: filters, page size and cursor. A filter given twice is refused (it is not a string). */
export const leadsQuery = z.object({
  status: z.optional(z.enum(LEAD_STATUSES, { error: `status must be one of ${LEAD_STATUSES.join(", ")}` })),
  assigned: z.optional(z.enum(["me", "unassigned"], { error: 'assigned must be "me" or "unassigned"' })),
  nit,
  external_id: z.optional(
    z.string().check(z.regex(/^[\x21-\x7e]{1,128}$/, "external_id must be 1–128 visible ASCII characters")),
  ),
  limit,
  after,
});

/** `GET /users` query. */
export const usersQuery = z.object({
  nit,
  email: z.optional(
    z
      .string()
      .check(z.minLength(1, "email must not be empty"), z.maxLength(320, "email must be at most 320 characters")),
  ),
  lead_id: z.optional(
    z.pipe(
      z.string().check(z.guid("lead_id must be a UUID")),
      z.transform((id: string) => id.toLowerCase()),
    ),
  ),
  limit,
  after,
});

const invalidQuery = (result: { success: boolean; error?: { issues: readonly z.core.$ZodIssue[] } }) => {
  if (!result.success) {
    throw new ApiError("validation_error", INVALID_QUERY, {
      extensions: { errors: toValidationIssues(result.error!.issues) },
    });
  }
};

/** A page as the API answers it, or the refusal as its problem. */
function answer<T, B>(outcome: ListOutcome<T>, scope: string, toBody: (item: T) => B) {
  switch (outcome.kind) {
    case "page":
      return { data: outcome.items.map(toBody), next_after: outcome.next === null ? null : encodeCursor(outcome.next) };
    case "unauthorized":
      throw invalidToken(INVALID_KEY_DESCRIPTION);
    default:
      throw insufficientScopeError(scope);
  }
}

export interface ListRoutesDeps {
  store: ListStore;
  verifyToken: TokenVerifier;
  /** The other-requests budget of each credential. */
  requests: RateLimiter;
}

/**
 * `GET /leads` (the leads the credential's entity may see) and `GET /users`
 * (its clients): oldest first, `{ data, next_after }`, one database request
 * per page.
 */
export function listRoutes({ store, verifyToken, requests }: ListRoutesDeps) {
  const auth = [bearerAuth({ verifyToken }), rateLimit(requests)] as const;
  return new Hono<AppEnv>()
    .get(LEADS_PATH, ...auth, zValidator("query", leadsQuery, invalidQuery), async (c) => {
      const q = c.req.valid("query");
      const outcome = await listLeads({
        ctx: { actor: c.get("actor"), store },
        input: {
          filters: { status: q.status, assigned: q.assigned, nit: q.nit, externalId: q.external_id },
          after: q.after ?? null,
          limit: q.limit ?? DEFAULT_PAGE_SIZE,
        },
      });
      c.set("outcome", outcome.kind === "page" ? "listed" : outcome.kind);
      return c.json(answer(outcome, LEADS_READ_SCOPE, toLeadBody), 200);
    })
    .get(USERS_PATH, ...auth, zValidator("query", usersQuery, invalidQuery), async (c) => {
      const q = c.req.valid("query");
      const outcome = await listClients({
        ctx: { actor: c.get("actor"), store },
        input: {
          filters: { nit: q.nit, email: q.email, leadId: q.lead_id },
          after: q.after ?? null,
          limit: q.limit ?? DEFAULT_PAGE_SIZE,
        },
      });
      c.set("outcome", outcome.kind === "page" ? "listed" : outcome.kind);
      return c.json(answer(outcome, USERS_READ_SCOPE, toUserBody), 200);
    });
}

// GET /leads and GET /users: the lists, with their filters and cursors.

const query = (name: string, description: string, schema: object) => ({
  name,
  in: "query",
  required: false,
  description,
  schema,
});

const paging = [
  query("limit", `1–${MAX_PAGE_SIZE}, default ${DEFAULT_PAGE_SIZE}.`, {
    type: "integer",
    minimum: 1,
    maximum: MAX_PAGE_SIZE,
    default: DEFAULT_PAGE_SIZE,
  }),
  query(
    "after",
    "The `next_after` of the previous page; omit for the first. Opaque: paging on while rows are added never repeats or skips a row that existed when the first page was read.",
    { type: "string" },
  ),
];
const nitFilter = query(
  "nit",
  "A NIT as written, compared by its key (`900.123.456-8` finds `900123456`); it must contain a letter or a digit.",
  { type: "string", maxLength: 100 },
);

const page = (description: string, list: string) => ({
  description,
  headers: { "X-Request-Id": header("XRequestId"), "Cache-Control": header("CacheControlNoStore") },
  content: { "application/json": { schema: ref(list) } },
});

const described = "Oldest first; pass `next_after` as `after` for the next page (null on the last).";
const refusals = (scope: string): DocumentedProblem[] => [
  ["validation_error", INVALID_QUERY],
  ["unauthorized", MISSING_CREDENTIALS],
  ["insufficient_scope", missingScope(scope)],
  ["rate_limited", overBudget(DEFAULT_RATE_LIMITS.requests, "requests")],
  ["internal_error", INTERNAL_ERROR],
  ["service_unavailable", DATABASE_UNAVAILABLE],
];

/** A page of `item`s, as the list answers it. */
const pageSchema = (item: z.core.$ZodType) =>
  z.strictObject({ data: z.array(item), next_after: z.nullable(z.string()) });

/** `GET /leads`, as /openapi.json documents it. */
export function leadListContract(): RouteContract {
  return {
    tag: "Leads",
    paths: {
      "/leads": {
        get: {
          operationId: "listLeads",
          summary: "List the leads the financial entity may see, oldest first",
          description:
            "The leads `GET /leads/{lead_id}` shows the entity: the unassigned leads of its ecosystem, the leads assigned to it, and those it converted. One database request per page, served by indexes. A malformed filter or cursor is 400.",
          security: [{ bearerAuth: [LEADS_READ_SCOPE] }],
          parameters: [
            query("status", "Only leads with this status.", { type: "string", enum: [...LEAD_STATUSES] }),
            query("assigned", "`me`: assigned to the entity (its converted leads included); `unassigned`: the pool.", {
              type: "string",
              enum: ["me", "unassigned"],
            }),
            nitFilter,
            query("external_id", "Your own id for a lead your entity created (`POST /leads`).", {
              type: "string",
              pattern: "^[\\x21-\\x7e]{1,128}$",
            }),
            ...paging,
          ],
          responses: { 200: page("A page of leads.", "LeadList"), ...problemsByStatus(refusals(LEADS_READ_SCOPE)) },
        },
      },
    },
    schemas: { LeadList: { schema: pageSchema(leadBodySchema()), description: `A page of leads. ${described}` } },
  };
}

/** `GET /users`, as /openapi.json documents it. */
export function userListContract(): RouteContract {
  return {
    tag: "Clients",
    paths: {
      "/users": {
        get: {
          operationId: "listUsers",
          summary: "List the financial entity's clients, oldest first",
          description:
            "Each item is the 18-key client body. One database request per page, served by indexes. A malformed filter or cursor is 400.",
          security: [{ bearerAuth: [USERS_READ_SCOPE] }],
          parameters: [
            nitFilter,
            query("email", "Compared case-insensitively (ASCII letters).", { type: "string", maxLength: 320 }),
            query("lead_id", "The client this lead was converted or linked into.", { type: "string", format: "uuid" }),
            ...paging,
          ],
          responses: { 200: page("A page of clients.", "UserList"), ...problemsByStatus(refusals(USERS_READ_SCOPE)) },
        },
      },
    },
    schemas: { UserList: { schema: pageSchema(userBodySchema()), description: `A page of clients. ${described}` } },
  };
}
