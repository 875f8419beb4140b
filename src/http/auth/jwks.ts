import type { HonoJsonWebKey } from "hono/utils/jwt/jws";

/** The identity provider's keys could not be fetched; the token can be neither trusted nor refused. */
export class JwksUnavailableError extends Error {
  override name = "JwksUnavailableError";
}

/** Keeps work running after the request that started it has answered (a Worker's `waitUntil`). */
export type KeepAlive = (work: Promise<unknown>) => void;

export interface JwksCacheOptions {
  url: string;
  /** How long a fetched key set is trusted before it is fetched again. Default 600 s. */
  maxAgeSeconds?: number;
  /**
   * How long past `maxAgeSeconds` the last good set still answers while a fresh
   * one cannot be had (the provider is down or slow). Default 86 400 s (24 h).
   */
  maxStaleSeconds?: number;
  /** Fetches after a failure, or for an unknown `kid`, happen at most this often. Default 30 s. */
  minRefreshSeconds?: number;
  /** Deadline of one fetch. Default 5000 ms. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

type KeySet = { keys: HonoJsonWebKey[]; fetchedAt: number };

const POLL_MS = 5;

/**
 * A JWKS kept in memory: fetched on first use, trusted for `maxAgeSeconds`,
 * then refreshed behind the requests, which keep using the last good set for
 * up to `maxStaleSeconds` more while the provider cannot answer. A token naming
 * a `kid` the set lacks triggers an early refresh, at most once per
 * `minRefreshSeconds`, so random kids cannot flood the provider. One fetch at
 * a time: concurrent requests wait for the one in flight.
 *
 * @example
 * const jwks = createJwksCache({ url: "https://id.example.com/.well-known/jwks.json" });
 * const key = await jwks.keyFor("2024-10-key");
 */
export function createJwksCache(options: JwksCacheOptions) {
  const {
    url,
    maxAgeSeconds = 600,
    maxStaleSeconds = 86_400,
    minRefreshSeconds = 30,
    timeoutMs = 5_000,
    fetch: fetchJwks = fetch,
    now = Date.now,
  } = options;
  let current: KeySet | undefined;
  let inFlight: { startedAt: number } | undefined;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let lastFailureAt = Number.NEGATIVE_INFINITY;
  // Counts settled fetches, so that a waiter can tell that the one it waited for is over.
  let settled = 0;
  let lastSucceeded = false;

  async function download(): Promise<KeySet> {
    let body: unknown;
    try {
      const res = await fetchJwks(url, {
        headers: { Accept: "application/json" },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) throw new Error(`the JWKS endpoint answered ${res.status}`);
      body = await res.json();
    } catch (error) {
      throw new JwksUnavailableError("the JWKS could not be fetched", { cause: error });
    }
    const keys = (body as { keys?: unknown })?.keys;
    if (!Array.isArray(keys)) throw new JwksUnavailableError("the JWKS has no keys array");
    return { keys: keys.filter((k): k is HonoJsonWebKey => typeof k === "object" && k !== null), fetchedAt: now() };
  }

  // A fetch older than its own deadline belongs to a request the runtime gave up on
  // (a Worker cancels what a finished request left running): it no longer counts.
  const fetching = () => inFlight !== undefined && now() - inFlight.startedAt <= timeoutMs;

  function startFetch(keepAlive?: KeepAlive): Promise<void> {
    const attempt = { startedAt: now() };
    inFlight = attempt;
    lastAttemptAt = attempt.startedAt;
    const work = download().then(
      (set) => {
        current = set;
        lastSucceeded = true;
      },
      () => {
        lastFailureAt = now();
        lastSucceeded = false;
      },
    );
    const done = work.finally(() => {
      if (inFlight === attempt) inFlight = undefined;
      settled += 1;
    });
    keepAlive?.(done);
    return done;
  }

  /** Fetches the set, or waits for the fetch in flight; true when a good set arrived. */
  async function refreshed(keepAlive?: KeepAlive): Promise<boolean> {
    if (!fetching()) {
      await startFetch(keepAlive);
      return lastSucceeded;
    }
    // In a Worker one request must not await a promise another request created
    // (it would hang if that request ends first), so the fetch is watched, not awaited.
    const seen = settled;
    const deadline = Date.now() + timeoutMs;
    while (settled === seen && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    return settled !== seen && lastSucceeded;
  }

  const ageSeconds = () => (current ? (now() - current.fetchedAt) / 1000 : Number.POSITIVE_INFINITY);
  const find = (kid: string) => current?.keys.find((k) => k.kid === kid);

  return {
    /**
     * The key with this `kid`, or undefined when the provider does not publish one.
     * Throws {@link JwksUnavailableError} when no usable set can be had.
     */
    async keyFor(kid: string, keepAlive?: KeepAlive): Promise<HonoJsonWebKey | undefined> {
      if (ageSeconds() >= maxAgeSeconds + maxStaleSeconds) {
        if (!(await refreshed(keepAlive))) throw new JwksUnavailableError("the JWKS could not be fetched");
      } else if (ageSeconds() >= maxAgeSeconds && !fetching() && now() - lastFailureAt >= minRefreshSeconds * 1000) {
        // Answer from the last good set now; the fresh one is fetched behind this request.
        void startFetch(keepAlive);
      }
      const key = find(kid);
      if (key) return key;
      // A kid the set lacks may be a rotated-in key: wait for the fetch in flight, or
      // start one unless the last was too recent.
      if (!fetching() && now() - lastAttemptAt < minRefreshSeconds * 1000) return undefined;
      if (!(await refreshed(keepAlive))) throw new JwksUnavailableError("the JWKS could not be fetched");
      return find(kid);
    },
  };
}

export type JwksCache = ReturnType<typeof createJwksCache>;
