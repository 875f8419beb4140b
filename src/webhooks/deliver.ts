import { version } from "../../package.json";
import { type AttemptResult, parseRetryAfter } from "./schedule";
import { signatureHeader } from "./sign";

/** An attempt that gets no complete answer within this long has failed. */
export const DELIVERY_TIMEOUT_MS = 15_000;

export const USER_AGENT = `turn-lead-into-client/${version}`;

export interface OutgoingWebhook {
  url: string;
  /** The event id: the `webhook-id` of every attempt. */
  id: string;
  body: string;
  /** Plain secrets to sign with: the current one, and the previous one during a rotation. */
  secrets: readonly string[];
}

/**
 * Signs and sends one attempt (Standard Webhooks headers), never following a
 * redirect, and reports what came back. It never throws.
 *
 * @example
 * const result = await sendWebhook({ url, id: eventId, body, secrets: [secret] });
 */
export async function sendWebhook(
  webhook: OutgoingWebhook,
  { timeoutMs = DELIVERY_TIMEOUT_MS, now = Date.now }: { timeoutMs?: number; now?: () => number } = {},
): Promise<AttemptResult> {
  const timestamp = Math.floor(now() / 1000);
  try {
    const res = await fetch(webhook.url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": webhook.id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": await signatureHeader(webhook.secrets, webhook.id, timestamp, webhook.body),
      },
      body: webhook.body,
    });
    await res.body?.cancel().catch(() => undefined);
    return {
      statusCode: res.status,
      error: res.status >= 300 && res.status < 400 ? "redirects are not followed" : null,
      retryAfterSeconds: parseRetryAfter(res.headers.get("Retry-After"), now()),
    };
  } catch (error) {
    const name = error instanceof Error ? error.name : "";
    const reason =
      name === "TimeoutError" || name === "AbortError"
        ? `no answer within ${timeoutMs / 1000} s`
        : "the request failed";
    return { statusCode: null, error: reason, retryAfterSeconds: null };
  }
}
