import { describe, expect, it } from "vitest";
import type { TokenCaller } from "../../src/domain/caller";
import type { Client } from "../../src/domain/client";
import {
  authorizeConversion,
  ConversionInvariantError,
  type ConversionSnapshot,
  decideConversion,
} from "../../src/domain/conversion";

const ENTITY = "e0000000-0000-4000-8000-000000000001";
const OTHER = "e0000000-0000-4000-8000-000000000002";
const ECOSYSTEM = "a0000000-0000-4000-8000-000000000001";
const NEW_ID = "c0000000-0000-4000-8000-000000000001";
const ATTEMPT = { clientId: NEW_ID, auditId: "a-new", onExistingClient: "reject" } as const;

const client = (overrides: Partial<Client> = {}): Client => ({
  id: NEW_ID,
  financialEntityId: ENTITY,
  ecosystemId: ECOSYSTEM,
  image: null,
  name: "Ana",
  lastname: null,
  businessName: null,
  quota: null,
  status: "active",
  phone: null,
  email: null,
  nit: null,
  address: null,
  history: [],
  score: null,
  paymentData: {},
  apnToken: "",
  businessEntity: null,
  additionalData: {},
  ...overrides,
});

const snapshot = (
  overrides: {
    entity?: Partial<NonNullable<ConversionSnapshot["financialEntity"]>> | null;
    lead?: Partial<NonNullable<ConversionSnapshot["lead"]>> | null;
    nitConflictClientId?: string | null;
  } = {},
): ConversionSnapshot => ({
  financialEntity:
    overrides.entity === null ? null : { id: ENTITY, ecosystemId: ECOSYSTEM, status: "active", ...overrides.entity },
  lead:
    overrides.lead === null
      ? null
      : {
          id: "l1",
          ecosystemId: ECOSYSTEM,
          financialEntityId: null,
          status: "new",
          client: null,
          linked: false,
          conversionAuditId: null,
          ...overrides.lead,
        },
  nitConflictClientId: overrides.nitConflictClientId ?? null,
});

describe("decideConversion", () => {
  it("is converted when the lead now holds the client created by this attempt", () => {
    const created = client();
    expect(
      decideConversion(
        snapshot({ lead: { client: created, status: "converted", financialEntityId: ENTITY } }),
        ATTEMPT,
      ),
    ).toEqual({ kind: "converted", client: created, linked: false });
  });

  it("is a replay when the lead holds an earlier client of the same entity", () => {
    const earlier = client({ id: "c-earlier" });
    expect(decideConversion(snapshot({ lead: { client: earlier, status: "converted" } }), ATTEMPT)).toEqual({
      kind: "replayed",
      client: earlier,
      linked: false,
    });
  });

  it("reports a missing entity before anything about the lead", () => {
    expect(decideConversion(snapshot({ entity: null, lead: null }), ATTEMPT)).toEqual({
      kind: "financial_entity_not_found",
    });
  });

  it("replays a conversion the entity made before it was suspended", () => {
    const earlier = client({ id: "c-earlier" });
    expect(
      decideConversion(
        snapshot({ entity: { status: "suspended" }, lead: { client: earlier, status: "converted" } }),
        ATTEMPT,
      ),
    ).toEqual({ kind: "replayed", client: earlier, linked: false });
  });

  it("refuses a suspended entity anything but a replay, before anything about the lead", () => {
    const suspended = { status: "suspended" };
    expect(decideConversion(snapshot({ entity: suspended }), ATTEMPT)).toEqual({ kind: "financial_entity_suspended" });
    expect(decideConversion(snapshot({ entity: suspended, lead: null }), ATTEMPT)).toEqual({
      kind: "financial_entity_suspended",
    });
    const theirs = client({ id: "c-theirs", financialEntityId: OTHER });
    expect(decideConversion(snapshot({ entity: suspended, lead: { client: theirs } }), ATTEMPT)).toEqual({
      kind: "financial_entity_suspended",
    });
    const elsewhere = client({ id: "c-elsewhere", ecosystemId: "elsewhere" });
    expect(
      decideConversion(snapshot({ entity: suspended, lead: { client: elsewhere, ecosystemId: "elsewhere" } }), ATTEMPT),
    ).toEqual({ kind: "financial_entity_suspended" });
  });

  it("reports a missing lead and a lead of another ecosystem the same way", () => {
    expect(decideConversion(snapshot({ lead: null }), ATTEMPT)).toEqual({ kind: "lead_not_found" });
    expect(decideConversion(snapshot({ lead: { ecosystemId: "elsewhere" } }), ATTEMPT)).toEqual({
      kind: "lead_not_found",
    });
  });

  it("refuses a lead converted for another entity", () => {
    const theirs = client({ id: "c-theirs", financialEntityId: OTHER });
    expect(decideConversion(snapshot({ lead: { client: theirs, financialEntityId: OTHER } }), ATTEMPT)).toEqual({
      kind: "lead_already_converted",
    });
  });

  it("refuses a lead marked converted without a client this service made", () => {
    expect(decideConversion(snapshot({ lead: { status: "converted" } }), ATTEMPT)).toEqual({
      kind: "lead_already_converted",
    });
  });

  it("refuses a lead assigned to another entity", () => {
    expect(decideConversion(snapshot({ lead: { financialEntityId: OTHER } }), ATTEMPT)).toEqual({
      kind: "lead_assigned_to_other_entity",
    });
  });

  it("refuses a NIT the entity already has, naming the existing client", () => {
    expect(decideConversion(snapshot({ nitConflictClientId: "c-existing" }), ATTEMPT)).toEqual({
      kind: "client_already_exists",
      existingClientId: "c-existing",
    });
  });

  it("treats a convertible lead that was not converted as a broken invariant", () => {
    expect(() => decideConversion(snapshot(), ATTEMPT)).toThrow(ConversionInvariantError);
  });

  describe("with on_existing_client: link", () => {
    const LINK = { ...ATTEMPT, onExistingClient: "link" } as const;
    const existing = client({ id: "c-existing" });

    it("is converted, linked, when the lead now holds the existing client and this attempt's audit record", () => {
      expect(
        decideConversion(
          snapshot({ lead: { client: existing, status: "converted", linked: true, conversionAuditId: LINK.auditId } }),
          LINK,
        ),
      ).toEqual({ kind: "converted", client: existing, linked: true });
    });

    it("is a linked replay when an earlier attempt linked it, whatever this one asks", () => {
      for (const attempt of [LINK, ATTEMPT]) {
        expect(
          decideConversion(
            snapshot({ lead: { client: existing, status: "converted", linked: true, conversionAuditId: "a-earlier" } }),
            attempt,
          ),
        ).toEqual({ kind: "replayed", client: existing, linked: true });
      }
    });

    it("treats a NIT conflict left standing as a broken invariant: the store links instead", () => {
      expect(() => decideConversion(snapshot({ nitConflictClientId: "c-existing" }), LINK)).toThrow(
        ConversionInvariantError,
      );
    });

    it("refuses what it would refuse without link", () => {
      expect(decideConversion(snapshot({ lead: { financialEntityId: OTHER } }), LINK)).toEqual({
        kind: "lead_assigned_to_other_entity",
      });
      expect(decideConversion(snapshot({ lead: { client: client({ financialEntityId: OTHER }) } }), LINK)).toEqual({
        kind: "lead_already_converted",
      });
    });
  });
});

describe("authorizeConversion", () => {
  const actor = (overrides: Partial<TokenCaller> = {}): TokenCaller => ({
    kind: "jwt",
    financialEntityId: ENTITY,
    subject: "svc",
    scopes: null,
    ...overrides,
  });
  const request = { leadId: "l1", financialEntityId: ENTITY };

  it("lets a token act for its own entity, with or without scopes", () => {
    expect(authorizeConversion(actor(), request)).toBeNull();
    expect(authorizeConversion(actor({ scopes: ["leads:read", "leads:convert"] }), request)).toBeNull();
  });

  it("refuses scopes without leads:convert, before looking at the entity", () => {
    expect(authorizeConversion(actor({ scopes: [], financialEntityId: OTHER }), request)).toEqual({
      kind: "insufficient_scope",
    });
    expect(authorizeConversion(actor({ scopes: ["leads:convertx"] }), request)).toEqual({ kind: "insufficient_scope" });
  });

  it("refuses a token acting for another entity", () => {
    expect(authorizeConversion(actor({ financialEntityId: OTHER }), request)).toEqual({ kind: "forbidden" });
  });
});
