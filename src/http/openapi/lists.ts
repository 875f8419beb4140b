import * as z from "zod/mini";
import { LEAD_STATUSES } from "../../domain/lead";
import { LEADS_READ_SCOPE, USERS_READ_SCOPE } from "../../domain/scopes";
import { DEFAULT_RATE_LIMITS } from "../auth";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../routes/lists";
import { type Documented, problems } from "./events";
import { header, ref } from "./parts";
import { leadBodySchema, userBodySchema } from "./schemas";

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

const nextAfter = z.nullable(z.string());

/** Adds the two page schemas to the document's registry. */
export function registerListSchemas(registry: z.core.$ZodRegistry<{ id: string; description?: string }>) {
  const described = "Oldest first; pass `next_after` as `after` for the next page (null on the last).";
  registry.add(
    z.strictObject({ data: z.array(z.strictObject({ ...leadBodySchema.def.shape })), next_after: nextAfter }),
    {
      id: "LeadList",
      description: `A page of leads. ${described}`,
    },
  );
  registry.add(
    z.strictObject({ data: z.array(z.strictObject({ ...userBodySchema.def.shape })), next_after: nextAfter }),
    {
      id: "UserList",
      description: `A page of clients. ${described}`,
    },
  );
}

const refusals = (scope: string): Documented[] => [
  ["validation_error", "The query is not valid."],
  ["unauthorized", "A bearer token is required in the Authorization header."],
  ["insufficient_scope", `The token's scope does not include "${scope}".`],
  ["rate_limited", `This credential is over its budget of ${DEFAULT_RATE_LIMITS.requests} requests per minute.`],
  ["internal_error", "An unexpected error occurred."],
  ["service_unavailable", "The database is unavailable right now; retrying is safe."],
];

/** The list operations of `/leads` and `/users`. */
export function listPaths() {
  return {
    "/leads": {
      get: {
        operationId: "listLeads",
        tags: ["Leads"],
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
          ...paging,
        ],
        responses: { 200: page("A page of leads.", "LeadList"), ...problems(refusals(LEADS_READ_SCOPE)) },
      },
    },
    "/users": {
      get: {
        operationId: "listUsers",
        tags: ["Clients"],
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
        responses: { 200: page("A page of clients.", "UserList"), ...problems(refusals(USERS_READ_SCOPE)) },
      },
    },
  };
}
