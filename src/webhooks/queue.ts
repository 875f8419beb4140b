import type { ExecutionContext } from "hono";
import { describeError, type Logger } from "../log";
import { claimDue, MAX_CLAIMED_PER_INVOCATION, type Retry, type RunnerDeps, sendClaimed } from "./run";

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

type Named = { eventId: string } | { deliveryId: string };

function namedBy(body: unknown): Named | null {
  const message = (body ?? {}) as Record<string, unknown>;
  if (typeof message.event_id === "string") return { eventId: message.event_id };
  if (typeof message.delivery_id === "string") return { deliveryId: message.delivery_id };
  return null;
}

const retryMessages = (retries: Retry[]) =>
  retries.map((r) => ({
    body: { delivery_id: r.deliveryId },
    delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.ceil(r.delayMs / 1000)),
  }));

/**
 * The Worker's `queue()` consumer. One claim (one database request) takes, for
 * the whole batch, at most {@link MAX_CLAIMED_PER_INVOCATION} of the deliveries
 * its messages name — what this invocation can send before the lease runs
 * out, so no delivery is claimed again and sent twice while its send is still
 * in flight. A message whose deliveries were not all taken goes back on the
 * queue; the others are acked: their deliveries are sent, or held under the
 * lease in the tables (an invocation that dies leaves them to the sweep). The
 * sends run in `waitUntil`: with `queue_consumer_no_wait_for_wait_until`
 * (wrangler.toml) the next batch does not wait for receivers that hang, so
 * one entity's hanging endpoints cannot hold back another's events. Each
 * failed attempt goes back on the queue with its retry delay. A batch whose
 * claim fails (the database is unreachable) is retried by the queue, and
 * after its retries lands in the dead-letter queue — the tables still hold the
 * deliveries, so the sweep sends them once the database answers.
 */
export async function consumeEvents(
  batch: EventsBatch,
  deps: RunnerDeps,
  queue: EventsQueue,
  waitUntil: (work: Promise<unknown>) => void,
): Promise<void> {
  const named = batch.messages.flatMap((message) => {
    const what = namedBy(message.body);
    if (what === null) {
      message.ack();
      return [];
    }
    return [{ message, what }];
  });
  if (named.length === 0) return;
  const ids = (key: "eventId" | "deliveryId") =>
    named.flatMap(({ what }) => (key in what ? [(what as Record<typeof key, string>)[key]] : []));
  let claim: Awaited<ReturnType<typeof claimDue>>;
  try {
    claim = await claimDue(
      { eventIds: ids("eventId"), deliveryIds: ids("deliveryId") },
      deps,
      MAX_CLAIMED_PER_INVOCATION,
    );
  } catch (error) {
    deps.logger.error({ msg: "webhook delivery failed", error: describeError(error) });
    for (const { message } of named) message.retry({ delaySeconds: 5 });
    return;
  }
  const unfinished = named.filter(({ what }) =>
    "eventId" in what ? claim.left.eventIds.has(what.eventId) : claim.left.deliveryIds.has(what.deliveryId),
  );
  const requeued = await (unfinished.length === 0
    ? Promise.resolve()
    : queue.sendBatch(
        unfinished.map(({ what }) => ({
          body: "eventId" in what ? { event_id: what.eventId } : { delivery_id: what.deliveryId },
        })),
      )
  ).then(
    () => true,
    (error: unknown) => {
      deps.logger.error({ msg: "webhook messages not re-enqueued", error: describeError(error) });
      return false;
    },
  );
  for (const { message } of named) {
    if (!requeued && unfinished.some((u) => u.message === message)) message.retry({ delaySeconds: 5 });
    else message.ack();
  }
  if (claim.deliveries.length === 0) return;
  waitUntil(
    sendClaimed(claim, deps)
      .then((retries) => (retries.length > 0 ? queue.sendBatch(retryMessages(retries)) : undefined))
      .catch((error: unknown) =>
        // The attempts not recorded or not re-enqueued are still pending in the tables: the sweep finds them.
        deps.logger.error({ msg: "webhook delivery failed", error: describeError(error) }),
      ),
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
