import { describeError, type Logger } from "../log";
import { DELIVERY_TIMEOUT_MS, sendWebhook, type WebhookTransport } from "./deliver";
import { DESTINATION_NOT_ALLOWED, destinationProblem } from "./destination";
import { decideNextAttempt } from "./schedule";
import type { SecretBox } from "./secrets";
import type { ClaimFilter, DueDelivery, WebhookStore } from "./store";

/** How long a runner holds a claimed delivery: the send's 15 s deadline and a margin. */
export const LEASE_MS = 30_000;
/** What every send leaves of its lease, to record its attempt before anyone else may claim the delivery. */
export const RECORD_MARGIN_MS = 5_000;
/** A send with less of its lease left than this is not started: the delivery is given back unsent. */
const SHORTEST_SEND_MS = 1_000;
/**
 * Sends one Worker invocation runs at once: a Worker has 6 simultaneous connections per
 * invocation, and one stays free for the database (claims and records).
 */
export const SENDS_AT_ONCE = 5;
/**
 * The most one queue consumer invocation claims: what {@link SENDS_AT_ONCE} concurrent sends,
 * each up to its 15 s deadline, finish within the lease with the record's margin left.
 */
export const MAX_CLAIMED_PER_INVOCATION =
  SENDS_AT_ONCE * Math.floor((LEASE_MS - RECORD_MARGIN_MS) / DELIVERY_TIMEOUT_MS);

export interface RunnerDeps {
  store: WebhookStore;
  secrets: SecretBox;
  retrySchedule: readonly number[];
  logger: Logger;
  /** The destination rules in force now (WEBHOOK_ALLOW_INSECURE_URLS), checked again before every send. */
  allowInsecureUrls: boolean;
  /** How attempts are sent: `fetch` unless told (the Node entry pins resolved addresses). */
  transport?: WebhookTransport;
  now?: () => number;
}

/** What one pass over the due deliveries did. */
export interface DeliveryPass {
  /** Deliveries this pass claimed (and attempted). */
  claimed: number;
  retries: Retry[];
}

export interface Retry {
  deliveryId: string;
  delayMs: number;
}

async function signingSecrets(delivery: DueDelivery, secrets: SecretBox, now: number): Promise<string[]> {
  const current = await secrets.open(delivery.secret, delivery.endpointId);
  if (delivery.previousSecret === null || (delivery.previousSecretUntil ?? 0) <= now) return [current];
  return [current, await secrets.open(delivery.previousSecret, delivery.endpointId)];
}

/** Deliveries a runner holds until `leaseUntil` under `lockId`. */
export interface Claim {
  lockId: string;
  leaseUntil: number;
  deliveries: DueDelivery[];
  /** Which of the named events and deliveries still have due deliveries that this claim left. */
  left: { eventIds: Set<string>; deliveryIds: Set<string> };
}

/**
 * Takes at most `limit` due deliveries that match `filter` for {@link LEASE_MS}.
 * The lease is counted from before the claim was sent, so a slow answer only shortens it.
 *
 * @example
 * const claim = await claimDue({ eventIds: [eventId], deliveryIds: [] }, deps, MAX_CLAIMED_PER_INVOCATION);
 */
export async function claimDue(filter: ClaimFilter, deps: RunnerDeps, limit: number): Promise<Claim> {
  const at = (deps.now ?? Date.now)();
  const lockId = crypto.randomUUID();
  const { deliveries, left } = await deps.store.claim(filter, { now: at, leaseMs: LEASE_MS, limit, lockId });
  return { lockId, leaseUntil: at + LEASE_MS, deliveries, left };
}

/**
 * Sends each claimed delivery (signed) at once, and records what happened and
 * what comes next — the one delivery path of both runtimes. No send outlives
 * its lease: each gives up {@link RECORD_MARGIN_MS} before the lease ends, and
 * one with too little lease left is given back unsent.
 */
export async function sendClaimed(claim: Claim, deps: RunnerDeps): Promise<Retry[]> {
  const now = deps.now ?? Date.now;
  const { lockId } = claim;
  const retries = await Promise.all(
    claim.deliveries.map(async (delivery): Promise<Retry | null> => {
      let secrets: string[];
      try {
        secrets = await signingSecrets(delivery, deps.secrets, now());
      } catch (error) {
        // A secret that cannot be opened (WEBHOOK_SECRET_KEY missing or changed): the lease lapses and it is tried later.
        deps.logger.error({
          msg: "webhook secret unusable",
          endpoint_id: delivery.endpointId,
          error: describeError(error),
        });
        return null;
      }
      const timeoutMs = Math.floor(Math.min(DELIVERY_TIMEOUT_MS, claim.leaseUntil - RECORD_MARGIN_MS - now()));
      if (timeoutMs < SHORTEST_SEND_MS) {
        deps.logger.info({ msg: "webhook lease too short to send; given back", endpoint_id: delivery.endpointId });
        await deps.store.release(delivery.deliveryId, lockId);
        return null;
      }
      // A URL saved under other settings (insecure URLs allowed then) is not sent to under today's.
      const result =
        destinationProblem(delivery.url, { allowInsecure: deps.allowInsecureUrls }) === null
          ? await sendWebhook(
              { url: delivery.url, id: delivery.eventId, body: delivery.payload, secrets },
              { transport: deps.transport, timeoutMs },
            )
          : { statusCode: null, error: DESTINATION_NOT_ALLOWED, retryAfterSeconds: null };
      const at = now();
      const decision = decideNextAttempt({
        result,
        attempt: delivery.attempts + 1,
        schedule: deps.retrySchedule,
        failingSince: delivery.failingSince ?? at,
        now: at,
      });
      const error = result.error ?? (decision.delivery === "succeeded" ? null : `HTTP ${result.statusCode}`);
      await deps.store.record({
        delivery,
        lockId,
        statusCode: result.statusCode,
        error,
        outcome: decision.delivery === "retry" ? "retrying" : decision.delivery,
        nextAttemptAt: decision.delivery === "retry" ? at + decision.delayMs : null,
        disableEndpoint: decision.delivery === "succeeded" ? undefined : decision.disableEndpoint,
        now: at,
      });
      deps.logger.info({
        msg: "webhook attempt",
        event_id: delivery.eventId,
        endpoint_id: delivery.endpointId,
        attempt: delivery.attempts + 1,
        status_code: result.statusCode,
        outcome: decision.delivery,
      });
      return decision.delivery === "retry" ? { deliveryId: delivery.deliveryId, delayMs: decision.delayMs } : null;
    }),
  );
  return retries.filter((retry): retry is Retry => retry !== null);
}

/**
 * Claims the due deliveries that match `filter` and sends them: the Node
 * entry's pass. Returns how many it claimed, and the deliveries to try
 * again, and when.
 *
 * @example
 * const { retries } = await runDueDeliveries({ any: true }, deps);
 */
export async function runDueDeliveries(filter: ClaimFilter, deps: RunnerDeps, limit = 50): Promise<DeliveryPass> {
  const claim = await claimDue(filter, deps, limit);
  return { claimed: claim.deliveries.length, retries: await sendClaimed(claim, deps) };
}
