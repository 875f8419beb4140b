import { version } from "../../package.json";
import { DESTINATION_NOT_ALLOWED, DestinationNotAllowedError } from "./destination";
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

/** What came back from one POST: its status, and its headers by name. */
export interface TransportAnswer {
  status: number;
  header(name: string): string | null;
}

/**
 * How one attempt reaches its receiver: a POST that follows no redirect and
 * gives up when `signal` aborts. The Worker's is `fetch` (Cloudflare resolves
 * and connects); the Node entry's resolves, checks and pins the address
 * (see webhooks/pinned-transport.ts). It throws {@link DestinationNotAllowedError}
 * for a destination it refuses.
 */
export type WebhookTransport = (
  url: string,
  request: { headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<TransportAnswer>;

/** The runtime's `fetch`, never following a redirect. */
export const fetchTransport: WebhookTransport = async (url, { headers, body, signal }) => {
  const res = await fetch(url, { method: "POST", redirect: "manual", signal, headers, body });
  await res.body?.cancel().catch(() => undefined);
  return { status: res.status, header: (name) => res.headers.get(name) };
};

/**
 * Signs and sends one attempt (Standard Webhooks headers), never following a
 * redirect, and reports what came back. It never throws.
 *
 * @example
 * const result = await sendWebhook({ url, id: eventId, body, secrets: [secret] });
 */
export async function sendWebhook(
  webhook: OutgoingWebhook,
  {
    timeoutMs = DELIVERY_TIMEOUT_MS,
    now = Date.now,
    transport = fetchTransport,
  }: { timeoutMs?: number; now?: () => number; transport?: WebhookTransport } = {},
): Promise<AttemptResult> {
  const timestamp = Math.floor(now() / 1000);
  try {
    const res = await transport(webhook.url, {
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
    return {
      statusCode: res.status,
      error: res.status >= 300 && res.status < 400 ? "redirects are not followed" : null,
      retryAfterSeconds: parseRetryAfter(res.header("Retry-After"), now()),
    };
  } catch (error) {
    if (error instanceof DestinationNotAllowedError) {
      return { statusCode: null, error: DESTINATION_NOT_ALLOWED, retryAfterSeconds: null };
    }
    const name = error instanceof Error ? error.name : "";
    const reason =
      name === "TimeoutError" || name === "AbortError"
        ? `no answer within ${Math.round(timeoutMs / 100) / 10} s`
        : "the request failed";
    return { statusCode: null, error: reason, retryAfterSeconds: null };
  }
}
