import { afterAll, expect, it } from "vitest";
import { givenConvertibleLead, givenEntity, suspendEntity } from "../support/builders";
import { writtenNit } from "../support/nits";
import { expectDocumentedResponse } from "../support/openapi";
import { tokenFor } from "../support/tokens";
import { type Receiver, startReceiver, verifyWith } from "./receiver";
import { type EventsTarget, json, register } from "./suite";

const SCOPES = "leads:write leads:read webhooks:manage events:read";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The lead events end to end, as a receiver that verifies the Standard
 * Webhooks signature sees them, sent to exactly the entities the spec names:
 * `lead.created` to the creator, or for a pool lead to every active subscribed
 * entity of the ecosystem; `lead.updated` (with `changed`) to the entity that
 * holds the lead; `lead.assigned` to the one that took it; `lead.unassigned` to
 * the one that released it and every other active subscribed entity. Each
 * endpoint gets only the types it chose; replays send nothing.
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

  it("create and update reach exactly the entities the spec names, signed, once each, with changed", async () => {
    const entity = await givenEntity(target().db);
    const neighbour = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
    const uninterested = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
    const suspended = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
    const stranger = await givenEntity(target().db);
    const own = await listener(entity.id, ["lead.created", "lead.updated"]);
    const ownUpdates = await listener(entity.id, ["lead.updated"]);
    const theirs = await listener(neighbour.id, ["lead.created", "lead.updated"]);
    const defaults = await listener(uninterested.id);
    const asleep = await listener(suspended.id, ["lead.created", "lead.updated"]);
    await suspendEntity(target().db, suspended.id);
    const far = await listener(stranger.id, ["lead.created", "lead.updated"]);

    const write = async (method: string, path: string, body: unknown, status: number) => {
      const res = await target().fetch(path, json(method, own.token, body));
      expect(res.status).toBe(status);
      return { body: (await res.json()) as { id: string }, requestId: res.headers.get("x-request-id") };
    };
    const request = { name: "Ana", external_id: `crm-${crypto.randomUUID()}` };
    const mine = await write("POST", "/leads", request, 201);
    const pooled = await write("POST", "/leads", { name: "Pool", nit: writtenNit(), financial_entity_id: null }, 201);
    await write("POST", "/leads", request, 200); // a replay: sends nothing
    const changed = await write(
      "PATCH",
      `/leads/${mine.body.id}`,
      { name: "Ana María", additional_data: { a: 1 } },
      200,
    );
    await write("PATCH", `/leads/${mine.body.id}`, { name: "Ana María" }, 200); // changes nothing: sends nothing

    const got = await own.receiver.until((r) => r.length >= 3);
    const [updateGot] = await ownUpdates.receiver.until((r) => r.length >= 1);
    const [neighbourGot] = await theirs.receiver.until((r) => r.length >= 1);
    await sleep(1_500);
    expect(own.receiver.received).toHaveLength(3);
    expect(ownUpdates.receiver.received).toHaveLength(1);
    expect(theirs.receiver.received).toHaveLength(1);
    for (const nobody of [defaults, asleep, far]) expect(nobody.receiver.received).toHaveLength(0);

    const created = (answer: typeof mine) => ({
      type: "lead.created",
      timestamp: expect.any(String),
      data: { lead: answer.body, financial_entity_id: entity.id, request_id: answer.requestId },
    });
    const updated = {
      type: "lead.updated",
      timestamp: expect.any(String),
      data: {
        lead: changed.body,
        financial_entity_id: entity.id,
        request_id: changed.requestId,
        changed: expect.arrayContaining(["name", "additional_data"]),
      },
    };
    const payloads = got.map((hook) => verifyWith(own.secret, hook) as any);
    expect(
      payloads.filter((p) => p.type === "lead.created").sort((a, b) => (a.data.lead.name < b.data.lead.name ? -1 : 1)),
    ).toEqual([created(mine), created(pooled)]);
    const ownUpdate = payloads.find((p) => p.type === "lead.updated");
    expect(ownUpdate).toEqual(updated);
    expect(ownUpdate.data.changed).toHaveLength(2);
    expect(verifyWith(ownUpdates.secret, updateGot!)).toEqual(updated);
    // The pool lead is announced to the neighbour with its own event, signed with its own endpoint's secret.
    expect(verifyWith(theirs.secret, neighbourGot!)).toEqual(created(pooled));
    expect(() => verifyWith(own.secret, neighbourGot!)).toThrow();
    expect(neighbourGot!.id).not.toBe(got.find((h) => JSON.parse(h.body).data.lead.id === pooled.body.id)!.id);
  });
}
