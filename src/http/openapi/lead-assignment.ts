import { LEADS_WRITE_SCOPE } from "../../domain/scopes";
import { DEFAULT_RATE_LIMITS } from "../auth";
import { ASSIGNMENT_DETAILS } from "../refusals";
import { MAX_BODY_BYTES } from "../validation";
import { type Documented, problems } from "./events";
import { header, ref } from "./parts";

// The assign and unassign operations of the OpenAPI document.

const leadIdParameter = {
  name: "lead_id",
  in: "path",
  required: true,
  description: "The lead's id, in any letter case.",
  schema: { type: "string" },
};

const answered = (description: string) => ({
  description,
  headers: {
    "X-Request-Id": header("XRequestId"),
    "Cache-Control": header("CacheControlNoStore"),
    "Idempotent-Replayed": header("IdempotentReplayed"),
  },
  content: { "application/json": { schema: ref("Lead") } },
});

const common: Documented[] = [
  ["unauthorized", "A bearer token is required in the Authorization header."],
  ["insufficient_scope", `The token's scope does not include "${LEADS_WRITE_SCOPE}".`],
  ["lead_not_found", ASSIGNMENT_DETAILS.lead_not_found],
  ["payload_too_large", `The request body must not exceed ${MAX_BODY_BYTES} bytes.`],
  ["rate_limited", `This credential is over its budget of ${DEFAULT_RATE_LIMITS.requests} requests per minute.`],
  ["internal_error", "An unexpected error occurred."],
  ["service_unavailable", "The database is unavailable right now; retrying is safe."],
];

/** `POST /leads/{lead_id}/assign` and `POST /leads/{lead_id}/unassign`. */
export function leadAssignmentPaths() {
  const security = [{ bearerAuth: [LEADS_WRITE_SCOPE] }];
  return {
    "/leads/{lead_id}/assign": {
      parameters: [leadIdParameter],
      post: {
        operationId: "assignLead",
        tags: ["Leads"],
        summary: "Take an unassigned lead of the ecosystem's pool for the credential's financial entity",
        description:
          "No body. One database request, race-safe: of any number of entities assigning one lead at once, exactly one gets 200 and the others 409 `lead_assigned_to_other_entity`. Assigning a lead the entity already holds is a replay (`Idempotent-Replayed: true`, even once the entity is suspended), which sends no event. The entity gets a `lead.assigned` event. A lead of another ecosystem, or none, is 404.",
        security,
        responses: {
          200: answered("The lead, now assigned to the entity (or already, in a replay)."),
          ...problems([
            ...common.slice(0, 2),
            ["financial_entity_suspended", ASSIGNMENT_DETAILS.financial_entity_suspended],
            ...common.slice(2, 3),
            ["lead_assigned_to_other_entity", ASSIGNMENT_DETAILS.lead_assigned_to_other_entity],
            ["lead_already_converted", ASSIGNMENT_DETAILS.lead_already_converted],
            ...common.slice(3),
          ]),
        },
      },
    },
    "/leads/{lead_id}/unassign": {
      parameters: [leadIdParameter],
      post: {
        operationId: "unassignLead",
        tags: ["Leads"],
        summary: "Give one of the entity's unconverted leads back to the ecosystem's pool",
        description:
          "No body. One database request. A lead already in the pool is a replay (`Idempotent-Replayed: true`) and sends nothing. The entity gets a `lead.unassigned` event, and so does every other active entity of the ecosystem with an endpoint subscribed to it (the lead is theirs to take). Another entity's lead, another ecosystem's, or none is 404; the entity's converted lead is 409.",
        security,
        responses: {
          200: answered("The lead, now in the pool (or already, in a replay)."),
          ...problems([
            ...common.slice(0, 3),
            ["lead_already_converted", ASSIGNMENT_DETAILS.lead_already_converted],
            ...common.slice(3),
          ]),
        },
      },
    },
  };
}
