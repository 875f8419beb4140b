import { afterAll, expect, it } from "vitest";
import { givenConvertibleLead, givenEntity } from "../support/builders";
import { expectDocumentedResponse } from "../support/openapi";
import { tokenFor } from "../support/tokens";
import { type Receiver, startReceiver, verifyWith } from "./receiver";
import { type EventsTarget, json, register } from "./suite";

const SCOPES = "leads:write leads:read webhooks:manage events:read";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `lead.assigned` and `lead.unassigned` end to end: signed, and sent to
 * exactly the entities the spec names — the one that took the lead, the one
 * that released it, and every other active subscribed entity of the ecosystem
 * when it returns to the pool.
 */
export function leadEventsSuite(started: () => EventsTarget) {
  const target = (): EventsTarget => {
    const t = started();
    return {
      ...t,
      async fetch(path, init) {
        const res = await t.fetch(path, init);
        await expectDocumentedResponse(init?.method ?? "GET", new URL(path, "http://target").pathname, res);
        return res;
      },
    };
  };
  const receivers: Receiver[] = [];
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
  });
  const listener = async (entityId: string, eventTypes?: string[]) => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const token = await tokenFor(entityId, { scope: SCOPES });
    const endpoint = await register(target(), token, receiver.url, eventTypes ? { event_types: eventTypes } : {});
    return { receiver, token, secret: endpoint.secret };
  };
  const act = async (token: string, action: "assign" | "unassign", leadId: string) => {
    const res = await target().fetch(`/leads/${leadId}/${action}`, json("POST", token));
    expect(res.status).toBe(200);
    return { body: await res.json(), requestId: res.headers.get("x-request-id") };
  };

  it("assign and unassign reach exactly the entities the spec names, signed, once each", async () => {
    const { entity, lead } = await givenConvertibleLead(target().db);
    const neighbour = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
    const uninterested = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
    const stranger = await givenEntity(target().db);
    const own = await listener(entity.id, ["lead.assigned", "lead.unassigned"]);
    const theirs = await listener(neighbour.id, ["lead.unassigned", "lead.assigned"]);
    const defaults = await listener(uninterested.id);
    const far = await listener(stranger.id, ["lead.unassigned", "lead.assigned"]);

    const assigned = await act(own.token, "assign", lead.id);
    await act(own.token, "assign", lead.id); // a replay: sends nothing
    const released = await act(own.token, "unassign", lead.id);
    await act(own.token, "unassign", lead.id); // a replay: sends nothing

    const got = await own.receiver.until((r) => r.length >= 2);
    const [neighbourGot] = await theirs.receiver.until((r) => r.length >= 1);
    await sleep(1_500);
    expect(own.receiver.received).toHaveLength(2);
    expect(theirs.receiver.received).toHaveLength(1);
    expect(defaults.receiver.received).toHaveLength(0);
    expect(far.receiver.received).toHaveLength(0);

    const payloads = got.map((hook) => verifyWith(own.secret, hook) as any);
    const byType = new Map(payloads.map((p) => [p.type, p]));
    expect(byType.get("lead.assigned")).toEqual({
      type: "lead.assigned",
      timestamp: expect.any(String),
      data: { lead: assigned.body, financial_entity_id: entity.id, request_id: assigned.requestId },
    });
    const unassigned = {
      type: "lead.unassigned",
      timestamp: expect.any(String),
      data: { lead: released.body, financial_entity_id: entity.id, request_id: released.requestId },
    };
    expect(byType.get("lead.unassigned")).toEqual(unassigned);
    expect(verifyWith(theirs.secret, neighbourGot!)).toEqual(unassigned);
    // Each recipient's event is its own: its own id, listed in its own /events.
    expect(neighbourGot!.id).not.toBe(got.find((h) => JSON.parse(h.body).type === "lead.unassigned")!.id);
    const log = await target().fetch("/events", json("GET", theirs.token));
    expect(((await log.json()) as { data: { id: string }[] }).data.map((e) => e.id)).toEqual([neighbourGot!.id]);
  });
}
