import type { ExecutionContext } from "hono";
import { describeError, type Logger } from "../log";
import { type RunnerDeps, runDueDeliveries } from "./run";

/** A queue message: a new event (all its deliveries), or one delivery due again. */
export type EventsMessage = { event_id: string } | { delivery_id: string };

/** The parts of the Queue producer binding used here (Cloudflare Queues). */
export interface EventsQueue {
  send(body: EventsMessage, options?: { delaySeconds?: number }): Promise<unknown>;
  sendBatch(messages: Iterable<{ body: EventsMessage; delaySeconds?: number }>): Promise<unknown>;
}

/** The parts of a consumer's batch used here. */
export interface EventsBatch {
  messages: readonly { body: unknown; ack(): void; retry(options?: { delaySeconds?: number }): void }[];
}

/** Deliveries due this long without being picked up are re-enqueued by the sweep (their message was lost or is late). */
export const SWEEP_GRACE_MS = 10_000;
/** Cloudflare Queues' longest delay. */
const MAX_DELAY_SECONDS = 43_200;

/**
 * The conversion's hand-off: after the answer, the event goes to the queue in
 * `waitUntil`. If the send is lost, the Cron sweep finds the delivery anyway.
 *
 * @example
 * createApp({ …, webhooks: { announce: queueAnnouncer(env.EVENTS_QUEUE, logger) } });
 */
export function queueAnnouncer(queue: EventsQueue, logger: Logger) {
  return (eventId: string, ctx: ExecutionContext | undefined) => {
    const sent = queue.send({ event_id: eventId }).catch((error: unknown) =>
      logger.error({
        msg: "event not enqueued; the sweep will send it",
        event_id: eventId,
        error: describeError(error),
      }),
    );
    ctx?.waitUntil(sent);
  };
}

function filterOf(body: unknown) {
  const message = (body ?? {}) as Record<string, unknown>;
  if (typeof message.event_id === "string") return { eventId: message.event_id };
  if (typeof message.delivery_id === "string") return { deliveryId: message.delivery_id };
  return null;
}

/**
 * The Worker's `queue()` consumer: sends what each message names, and puts
 * each failed attempt back on the queue with its retry delay. A message whose
 * work fails (the database is unreachable) is retried by the queue, and after
 * its retries lands in the dead-letter queue — the tables still hold the
 * delivery, so the sweep sends it once the database answers.
 */
export async function consumeEvents(batch: EventsBatch, deps: RunnerDeps, queue: EventsQueue): Promise<void> {
  await Promise.all(
    batch.messages.map(async (message) => {
      const filter = filterOf(message.body);
      if (filter === null) return message.ack();
      try {
        const { retries } = await runDueDeliveries(filter, deps);
        if (retries.length > 0) {
          await queue.sendBatch(
            retries.map((r) => ({
              body: { delivery_id: r.deliveryId },
              delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.ceil(r.delayMs / 1000)),
            })),
          );
        }
        message.ack();
      } catch (error) {
        deps.logger.error({ msg: "webhook delivery failed", error: describeError(error) });
        message.retry({ delaySeconds: 5 });
      }
    }),
  );
}

/**
 * The Worker's `scheduled()` sweep (every minute): re-enqueues every delivery
 * that is due and that no runner holds, so nothing depends on `waitUntil` or
 * on a queued message alone.
 */
export async function sweepDueDeliveries(
  deps: RunnerDeps,
  queue: EventsQueue,
  { now = Date.now() } = {},
): Promise<number> {
  let total = 0;
  let afterId = "";
  // Up to 1,000 a minute, in pages of 100 (sendBatch's limit).
  for (let page = 0; page < 10; page += 1) {
    const ids = await deps.store.overdue({ now, graceMs: SWEEP_GRACE_MS, limit: 100, afterId });
    if (ids.length === 0) break;
    await queue.sendBatch(ids.map((id) => ({ body: { delivery_id: id } })));
    total += ids.length;
    afterId = ids.at(-1)!;
    if (ids.length < 100) break;
  }
  if (total > 0) deps.logger.info({ msg: "webhook sweep", enqueued: total });
  return total;
}
