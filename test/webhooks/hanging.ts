import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { webhookDeliveries, webhookEvents } from "../../src/db/schema";
import { givenEntity } from "../support/builders";
import { tokenFor } from "../support/tokens";
import { type EventsTarget, register } from "./suite";

/** A receiver on 127.0.0.1 that takes every request and never answers; it counts them, by path too. */
export async function startHangingReceiver() {
  const open: ServerResponse[] = [];
  const byPath = new Map<string, number>();
  let requests = 0;
  const server = createServer((req, res) => {
    requests += 1;
    byPath.set(String(req.url), (byPath.get(String(req.url)) ?? 0) + 1);
    open.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hang`,
    requests: () => requests,
    /** Requests per path, e.g. `/hang/3`. */
    byPath: () => new Map(byPath),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type HangingReceiver = Awaited<ReturnType<typeof startHangingReceiver>>;

/**
 * One entity's `events × endpoints` pending deliveries to endpoints that never
 * answer, all due since `dueAgoMs` (the Worker's sweep takes what is due for
 * 10 s or more). Returns their count.
 */
export async function givenHangingBacklog(
  target: EventsTarget,
  hangingUrl: string,
  { endpoints = 10, events = 20, dueAgoMs = 0 } = {},
) {
  const entity = await givenEntity(target.db);
  const token = await tokenFor(entity.id, { scope: "webhooks:manage" });
  const ids: string[] = [];
  for (let n = 0; n < endpoints; n += 1) ids.push((await register(target, token, `${hangingUrl}/${n}`)).id);
  const at = new Date(Date.now() - dueAgoMs);
  for (let e = 0; e < events; e += 1) {
    const eventId = crypto.randomUUID();
    await target.db.insert(webhookEvents).values({
      id: eventId,
      financialEntityId: entity.id,
      type: "lead.converted",
      payload: JSON.stringify({ type: "lead.converted", timestamp: at.toISOString(), data: { n: e } }),
      createdAt: at.toISOString(),
    });
    await target.db.insert(webhookDeliveries).values(
      ids.map((endpointId) => ({
        id: crypto.randomUUID(),
        eventId,
        endpointId,
        nextAttemptAt: at.getTime(),
        createdAt: at.toISOString(),
      })),
    );
  }
  return endpoints * events;
}
