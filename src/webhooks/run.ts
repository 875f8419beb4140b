import { describeError, type Logger } from "../log";
import { sendWebhook, type WebhookTransport } from "./deliver";
import { DESTINATION_NOT_ALLOWED, destinationProblem } from "./destination";
import { decideNextAttempt } from "./schedule";
import type { SecretBox } from "./secrets";
import type { ClaimFilter, DueDelivery, WebhookStore } from "./store";

/** How long a runner holds a claimed delivery: the send's 15 s deadline and a margin. */
export const LEASE_MS = 30_000;

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

/** A delivery that failed and is due again after `delayMs`. */
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

/**
 * Claims the due deliveries that match `filter`, sends each (signed), and
 * records what happened and what comes next — the one delivery path of both
 * runtimes. Returns how many it claimed, and the deliveries to try again, and when.
 *
 * @example
 * const { retries } = await runDueDeliveries({ eventId }, deps);
 */
export async function runDueDeliveries(filter: ClaimFilter, deps: RunnerDeps, limit = 50): Promise<DeliveryPass> {
  const now = deps.now ?? Date.now;
  const lockId = crypto.randomUUID();
  const claimed = await deps.store.claim(filter, { now: now(), leaseMs: LEASE_MS, limit, lockId });
  const retries = await Promise.all(
    claimed.map(async (delivery): Promise<Retry | null> => {
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
      // A URL saved under other settings (insecure URLs allowed then) is not sent to under today's.
      const result =
        destinationProblem(delivery.url, { allowInsecure: deps.allowInsecureUrls }) === null
          ? await sendWebhook(
              { url: delivery.url, id: delivery.eventId, body: delivery.payload, secrets },
              { transport: deps.transport },
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
  return { claimed: claimed.length, retries: retries.filter((retry): retry is Retry => retry !== null) };
}
