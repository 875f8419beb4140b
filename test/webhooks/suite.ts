import { afterAll, expect, it } from "vitest";
import type { Database } from "../../src/db/client";
import { givenConvertibleLead, givenEntity, givenLead } from "../support/builders";
import { expectDocumentedResponse } from "../support/openapi";
import { CONVERT_PATH, conversionRequest, jsonOf, USER_KEYS } from "../support/requests";
import { tokenFor } from "../support/tokens";
import { type Receiver, type Reply, startReceiver, verifyWith } from "./receiver";

/** The schedule the targets run with: three attempts, a second apart. */
export const TEST_SCHEDULE = "0,1,1";
export const TEST_VARS = { WEBHOOK_ALLOW_INSECURE_URLS: "true", WEBHOOK_RETRY_SCHEDULE: TEST_SCHEDULE };

export interface EventsTarget {
  fetch(path: string, init?: RequestInit): Promise<Response>;
  db: Database;
  close(): Promise<void>;
}

const SCOPES = "leads:convert webhooks:manage events:read";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An entity with a token that may convert and manage webhooks, and a receiver registered for its events. */
export async function givenSubscriber(target: EventsTarget, reply?: (n: number) => Reply) {
  const receiver = await startReceiver(reply);
  const { entity, lead } = await givenConvertibleLead(target.db);
  const token = await tokenFor(entity.id, { scope: SCOPES });
  const endpoint = await register(target, token, receiver.url);
  return { receiver, entity, lead, token, endpoint };
}

export async function register(target: EventsTarget, token: string, url: string, extra: Record<string, unknown> = {}) {
  const res = await target.fetch("/webhook-endpoints", json("POST", token, { url, ...extra }));
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; secret: string; url: string; status: string };
}

export function json(method: string, token: string, body?: unknown): RequestInit {
  return {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  };
}

export async function convert(target: EventsTarget, token: string, leadId: string, entityId: string) {
  const res = await target.fetch(
    CONVERT_PATH,
    conversionRequest(token, { lead_id: leadId, financial_entity_id: entityId }),
  );
  return { status: res.status, body: await jsonOf(res), answeredAt: Date.now() };
}

async function events(target: EventsTarget, token: string, query = "") {
  const res = await target.fetch(`/events${query}`, json("GET", token));
  expect(res.status).toBe(200);
  return (await res.json()) as {
    data: { id: string; type: string; timestamp: string; data: any }[];
    next_after: string | null;
  };
}

async function attempts(target: EventsTarget, token: string, eventId: string) {
  const res = await target.fetch(`/events/${eventId}/deliveries`, json("GET", token));
  expect(res.status).toBe(200);
  return (
    (await res.json()) as {
      data: { endpoint_id: string; attempt: number; status_code: number | null; outcome: string }[];
    }
  ).data;
}

/**
 * Conversion events end to end against a running target, with a real
 * receiver that verifies every signature with `standardwebhooks`.
 */
export function eventsSuite(started: () => EventsTarget) {
  // Every answer the suite sees must be one the OpenAPI document describes.
  const target = (): EventsTarget => {
    const t = started();
    return {
      ...t,
      db: t.db,
      async fetch(path, init) {
        const res = await t.fetch(path, init);
        if (!path.startsWith("/__"))
          await expectDocumentedResponse(init?.method ?? "GET", new URL(path, "http://target").pathname, res);
        return res;
      },
    };
  };
  const receivers: Receiver[] = [];
  const subscriber = async (reply?: (n: number) => Reply) => {
    const s = await givenSubscriber(target(), reply);
    receivers.push(s.receiver);
    return s;
  };
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
  });

  it("every conversion sends exactly one signed lead.converted, with the body the spec gives", async () => {
    const { receiver, entity, lead, token, endpoint } = await subscriber();
    const second = await givenLead(target().db, { ecosystemId: entity.ecosystemId });
    const first = await convert(target(), token, lead.id, entity.id);
    const other = await convert(target(), token, second.id, entity.id);
    expect([first.status, other.status]).toEqual([200, 200]);

    const got = await receiver.until((r) => r.length >= 2);
    const ids = new Set(got.map((hook) => hook.id));
    expect(ids.size).toBe(2);
    for (const hook of got) {
      const payload = verifyWith(endpoint.secret, hook) as any;
      expect(hook.contentType).toBe("application/json");
      expect(hook.userAgent).toMatch(/^turn-lead-into-client\//);
      expect(Object.keys(payload)).toEqual(["type", "timestamp", "data"]);
      expect(payload.type).toBe("lead.converted");
      expect(Object.keys(payload.data)).toEqual([
        "lead_id",
        "financial_entity_id",
        "ecosystem",
        "request_id",
        "converted_at",
        "user",
      ]);
      expect(Object.keys(payload.data.user)).toEqual(USER_KEYS);
      expect(payload.timestamp).toBe(payload.data.converted_at);
    }
    const byLead = new Map(got.map((hook) => [(JSON.parse(hook.body) as any).data.lead_id, JSON.parse(hook.body)]));
    expect(byLead.get(lead.id).data.user).toEqual(first.body);
    expect(byLead.get(lead.id).data).toMatchObject({ financial_entity_id: entity.id, ecosystem: entity.ecosystemId });
    expect(byLead.get(second.id).data.user).toEqual(other.body);

    const log = await events(target(), token);
    expect(log.data.map((e) => e.id).sort()).toEqual([...ids].sort());
    expect(log.data[0]).toEqual({
      id: expect.any(String),
      ...JSON.parse(got.find((h) => h.id === log.data[0]!.id)!.body),
    });
  });

  it("replays and refusals send nothing and log nothing", async () => {
    const { receiver, entity, lead, token } = await subscriber();
    await convert(target(), token, lead.id, entity.id);
    await receiver.until((r) => r.length === 1);

    expect((await convert(target(), token, lead.id, entity.id)).status).toBe(200); // replay
    const rival = await givenEntity(target().db, { ecosystemId: entity.ecosystemId });
    const held = await givenLead(target().db, { ecosystemId: entity.ecosystemId, financialEntityId: rival.id });
    expect((await convert(target(), token, held.id, entity.id)).status).toBe(409);
    expect((await convert(target(), token, crypto.randomUUID(), entity.id)).status).toBe(404);
    await sleep(1_500);
    expect(receiver.received).toHaveLength(1);
    expect((await events(target(), token)).data).toHaveLength(1);
  });

  it("500 twice then 200: three attempts with the same webhook-id, spaced by the schedule", async () => {
    const { receiver, entity, lead, token, endpoint } = await subscriber((n) => ({ status: n <= 2 ? 500 : 200 }));
    await convert(target(), token, lead.id, entity.id);
    const got = await receiver.until((r) => r.length >= 3);
    expect(new Set(got.map((h) => h.id)).size).toBe(1);
    for (const hook of got) verifyWith(endpoint.secret, hook);
    for (const [a, b] of [
      [0, 1],
      [1, 2],
    ] as const) {
      const gap = got[b]!.at - got[a]!.at;
      expect(gap).toBeGreaterThanOrEqual(750); // 1 s −20 %
      expect(gap).toBeLessThan(3_500);
    }
    await sleep(300);
    const log = await attempts(target(), token, got[0]!.id);
    expect(log.map((a) => [a.attempt, a.status_code, a.outcome])).toEqual([
      [1, 500, "retrying"],
      [2, 500, "retrying"],
      [3, 200, "succeeded"],
    ]);
  });

  it("a receiver failing every attempt: the delivery fails after the last one and shows so", async () => {
    const { receiver, entity, lead, token } = await subscriber(() => ({ status: 500 }));
    await convert(target(), token, lead.id, entity.id);
    const got = await receiver.until((r) => r.length >= 3);
    await sleep(2_000);
    expect(receiver.received).toHaveLength(3);
    expect((await attempts(target(), token, got[0]!.id)).map((a) => a.outcome)).toEqual([
      "retrying",
      "retrying",
      "failed",
    ]);
  });

  it("410 Gone disables the endpoint at once, and nothing more is sent to it", async () => {
    const { receiver, entity, lead, token, endpoint } = await subscriber(() => ({ status: 410 }));
    await convert(target(), token, lead.id, entity.id);
    await receiver.until((r) => r.length >= 1);
    await sleep(300);
    const res = await target().fetch(`/webhook-endpoints/${endpoint.id}`, json("GET", token));
    expect(await res.json()).toMatchObject({ status: "disabled", disabled_reason: expect.stringContaining("410") });

    const next = await givenLead(target().db, { ecosystemId: entity.ecosystemId });
    await convert(target(), token, next.id, entity.id);
    await sleep(2_000);
    expect(receiver.received).toHaveLength(1);
  });

  it("Retry-After on a 503 is honoured when longer than the schedule", async () => {
    const { receiver, entity, lead, token } = await subscriber((n) =>
      n === 1 ? { status: 503, headers: { "Retry-After": "3" } } : { status: 200 },
    );
    await convert(target(), token, lead.id, entity.id);
    const got = await receiver.until((r) => r.length >= 2, 15_000);
    expect(got[1]!.at - got[0]!.at).toBeGreaterThanOrEqual(2_900);
  });

  it("after a rotation every delivery carries two signatures, and each secret verifies it", async () => {
    const { receiver, entity, lead, token, endpoint } = await subscriber();
    const res = await target().fetch(`/webhook-endpoints/${endpoint.id}/rotate-secret`, json("POST", token));
    expect(res.status).toBe(200);
    const { secret } = (await res.json()) as { secret: string };
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secret).not.toBe(endpoint.secret);

    await convert(target(), token, lead.id, entity.id);
    const [hook] = await receiver.until((r) => r.length >= 1);
    expect(hook!.signature.split(" ")).toHaveLength(2);
    expect(verifyWith(secret, hook!)).toBeTruthy();
    expect(verifyWith(endpoint.secret, hook!)).toBeTruthy();
    expect(() => verifyWith(`whsec_${btoa("x".repeat(32))}`, hook!)).toThrow();
  });

  it("a deleted endpoint gets nothing; another endpoint of the entity still does", async () => {
    const { receiver, entity, lead, token, endpoint } = await subscriber();
    const other = await startReceiver();
    receivers.push(other);
    await register(target(), token, other.url);
    expect((await target().fetch(`/webhook-endpoints/${endpoint.id}`, json("DELETE", token))).status).toBe(204);
    expect((await target().fetch(`/webhook-endpoints/${endpoint.id}`, json("GET", token))).status).toBe(404);

    await convert(target(), token, lead.id, entity.id);
    await other.until((r) => r.length >= 1);
    await sleep(1_000);
    expect(receiver.received).toHaveLength(0);
  });

  it("redelivery sends the same webhook-id again", async () => {
    const { receiver, entity, lead, token, endpoint } = await subscriber();
    await convert(target(), token, lead.id, entity.id);
    const [first] = await receiver.until((r) => r.length >= 1);
    const res = await target().fetch(
      `/events/${first!.id}/redeliver`,
      json("POST", token, { endpoint_id: endpoint.id }),
    );
    expect(res.status).toBe(202);
    const got = await receiver.until((r) => r.length >= 2);
    expect(got[1]!.id).toBe(first!.id);
    verifyWith(endpoint.secret, got[1]!);
  });

  it("another entity sees none of it: 404 for the endpoint and the event, an empty log", async () => {
    const { receiver, entity, lead, token, endpoint } = await subscriber();
    await convert(target(), token, lead.id, entity.id);
    const [hook] = await receiver.until((r) => r.length >= 1);
    const stranger = await givenEntity(target().db);
    const theirs = await tokenFor(stranger.id, { scope: SCOPES });

    for (const [method, path, body] of [
      ["GET", `/webhook-endpoints/${endpoint.id}`],
      ["PATCH", `/webhook-endpoints/${endpoint.id}`, { description: "mine now" }],
      ["DELETE", `/webhook-endpoints/${endpoint.id}`],
      ["POST", `/webhook-endpoints/${endpoint.id}/rotate-secret`],
      ["GET", `/events/${hook!.id}/deliveries`],
      ["POST", `/events/${hook!.id}/redeliver`, {}],
    ] as const) {
      const res = await target().fetch(path, json(method, theirs, body));
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(((await res.json()) as { code: string }).code).toMatch(/^(webhook_endpoint|event)_not_found$/);
    }
    expect(
      await target()
        .fetch("/webhook-endpoints", json("GET", theirs))
        .then((r) => r.json()),
    ).toEqual({ data: [] });
    expect((await events(target(), theirs)).data).toEqual([]);
    // The endpoint is untouched.
    const mine = await target().fetch(`/webhook-endpoints/${endpoint.id}`, json("GET", token));
    expect(await mine.json()).toMatchObject({ status: "enabled", description: null });
  });
}
