/** Seconds after the previous attempt (the first is the initial send): Svix's schedule, 8 attempts over ~27 h. */
export const DEFAULT_RETRY_SCHEDULE: readonly number[] = [0, 5, 300, 1800, 7200, 18000, 36000, 36000];

/** Jitter applied to every delay, as a fraction either way. */
export const JITTER = 0.2;

/** An endpoint failing this long without one success is disabled. */
export const DISABLE_AFTER_MS = 5 * 24 * 3600 * 1000;

/** What one attempt got: a status code, or an error when no answer came. */
export interface AttemptResult {
  statusCode: number | null;
  error: string | null;
  /** `Retry-After` of a 429 or 503, in seconds, when it parsed. */
  retryAfterSeconds: number | null;
}

export type Decision =
  | { delivery: "succeeded" }
  | { delivery: "retry"; delayMs: number; disableEndpoint?: string }
  | { delivery: "failed"; disableEndpoint?: string };

export interface DecideInput {
  result: AttemptResult;
  /** This attempt's number, 1 for the first. */
  attempt: number;
  schedule: readonly number[];
  /** Epoch ms of the endpoint's first failure since its last success, counting this one. */
  failingSince: number;
  now: number;
  /** A number in [0, 1); Math.random by default. */
  random?: () => number;
}

/**
 * Decides what follows an attempt: success on any 2xx; otherwise the next
 * attempt after the schedule's delay ±20 % (or `Retry-After` when longer),
 * until the schedule runs out. A 410 disables the endpoint at once, and so
 * does failing for 5 days.
 *
 * @example
 * decideNextAttempt({ result: { statusCode: 500, error: null, retryAfterSeconds: null }, attempt: 1,
 *   schedule: DEFAULT_RETRY_SCHEDULE, failingSince: now, now }) // → { delivery: "retry", delayMs: ~5000 }
 */
export function decideNextAttempt({
  result,
  attempt,
  schedule,
  failingSince,
  now,
  random = Math.random,
}: DecideInput): Decision {
  const code = result.statusCode;
  if (code !== null && code >= 200 && code < 300) return { delivery: "succeeded" };
  if (code === 410) return { delivery: "failed", disableEndpoint: "the endpoint answered 410 Gone" };
  const disableEndpoint = now - failingSince >= DISABLE_AFTER_MS ? "every delivery failed for 5 days" : undefined;
  const next = schedule[attempt];
  if (next === undefined) return { delivery: "failed", disableEndpoint };
  const jittered = next * 1000 * (1 - JITTER + 2 * JITTER * random());
  const retryAfterMs =
    (code === 429 || code === 503) && result.retryAfterSeconds !== null ? result.retryAfterSeconds * 1000 : 0;
  const delayMs = Math.round(Math.max(jittered, retryAfterMs));
  // A disabled endpoint keeps its pending deliveries: re-enabling it resumes them.
  return disableEndpoint ? { delivery: "retry", delayMs, disableEndpoint } : { delivery: "retry", delayMs };
}

/**
 * Reads `Retry-After` (delta seconds or an HTTP date) as seconds from `now`.
 *
 * @example
 * parseRetryAfter("120", Date.now()) // → 120
 */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1000));
}

/**
 * Parses `WEBHOOK_RETRY_SCHEDULE` (comma-separated seconds, e.g. `0,1,2`).
 * Returns null when it is not such a list.
 */
export function parseRetrySchedule(value: string): number[] | null {
  const parts = value.split(",").map((p) => p.trim());
  if (parts.length === 0 || parts.length > 20 || !parts.every((p) => /^\d+(\.\d+)?$/.test(p))) return null;
  const delays = parts.map(Number);
  return delays.every((d) => d <= 43_200) ? delays : null;
}
