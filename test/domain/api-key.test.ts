import { describe, expect, it } from "vitest";
import { type ApiKeySnapshot, decideKeyAccess } from "../../src/domain/api-key";

const ENTITY = "e0000000-0000-4000-8000-000000000001";
const AT = "2026-11-29T12:00:00.000Z";
const request = { at: AT, scope: "leads:convert", financialEntityId: ENTITY };
const key = (overrides: Partial<ApiKeySnapshot> = {}): ApiKeySnapshot => ({
  id: "k1",
  financialEntityId: ENTITY,
  scopes: ["leads:convert"],
  expiresAt: null,
  revokedAt: null,
  ...overrides,
});

describe("decideKeyAccess", () => {
  it("allows a live key of the entity with the scope", () => {
    expect(decideKeyAccess(key(), request)).toBeNull();
    expect(decideKeyAccess(key({ expiresAt: "2026-11-29T12:00:00.001Z" }), request)).toBeNull();
  });

  it("unknown, revoked and expired keys are one and the same refusal", () => {
    const refusals = [
      decideKeyAccess(null, request),
      decideKeyAccess(key({ revokedAt: "2026-11-29T11:00:00.000Z" }), request),
      decideKeyAccess(key({ expiresAt: "2026-11-29T11:59:59.999Z" }), request),
    ];
    for (const refusal of refusals) expect(refusal).toEqual({ kind: "unauthorized" });
  });

  it("a key expiring at the very instant of the request is expired (the batch asks expires_at > at)", () => {
    expect(decideKeyAccess(key({ expiresAt: AT }), request)).toEqual({ kind: "unauthorized" });
  });

  it("a revoked key of another entity without the scope is still just unauthorized: nothing else is revealed", () => {
    expect(decideKeyAccess(key({ revokedAt: AT, financialEntityId: "other", scopes: [] }), request)).toEqual({
      kind: "unauthorized",
    });
  });

  it("then the scope, then the entity — the order a token's checks follow", () => {
    expect(decideKeyAccess(key({ scopes: ["leads:read"], financialEntityId: "other" }), request)).toEqual({
      kind: "insufficient_scope",
    });
    expect(decideKeyAccess(key({ financialEntityId: "other" }), request)).toEqual({ kind: "forbidden" });
  });

  it("a request that names no entity (the webhook endpoints, the events API) acts for the key's own: no entity refusal", () => {
    const own = { at: AT, scope: "webhooks:manage" };
    expect(decideKeyAccess(key({ scopes: ["webhooks:manage"], financialEntityId: "other" }), own)).toBeNull();
    expect(decideKeyAccess(key({ scopes: ["leads:convert"] }), own)).toEqual({ kind: "insufficient_scope" });
    expect(decideKeyAccess(key({ scopes: ["webhooks:manage"], revokedAt: AT }), own)).toEqual({ kind: "unauthorized" });
  });
});
