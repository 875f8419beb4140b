import { describe, expect, it } from "vitest";
import { PROBLEMS } from "../../src/http/problem";

// The outcome tables of the contracts (shared/spec/turn-lead-into-client.md, integration-keys.md), code → status.
const CONTRACT_TABLE = {
  validation_error: 400,
  unauthorized: 401,
  forbidden: 403,
  insufficient_scope: 403,
  financial_entity_suspended: 403,
  financial_entity_not_found: 404,
  lead_not_found: 404,
  lead_assigned_to_other_entity: 409,
  lead_already_converted: 409,
  client_already_exists: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  service_unavailable: 503,
  internal_error: 500,
  // The events contract (shared/spec/events.md).
  webhook_endpoint_not_found: 404,
  event_not_found: 404,
  // shared/spec/integration-keys.md
  rate_limited: 429,
  api_key_not_found: 404,
  // shared/spec/bulk-and-reads.md
  user_not_found: 404,
  // shared/spec/limits.md
  limit_reached: 409,
  // shared/spec/leads.md
  external_id_conflict: 409,
  lead_already_exists: 409,
  lead_not_assigned: 409,
  precondition_failed: 412,
};

describe("the problem table", () => {
  it("maps every code of the contract to the contract's status", () => {
    for (const [code, status] of Object.entries(CONTRACT_TABLE)) {
      expect(PROBLEMS[code as keyof typeof PROBLEMS]?.status, code).toBe(status);
    }
  });

  it("adds only routing problems beyond the contract", () => {
    const extra = Object.keys(PROBLEMS).filter((code) => !(code in CONTRACT_TABLE));
    expect(extra.sort()).toEqual(["method_not_allowed", "not_found"]);
  });
});
