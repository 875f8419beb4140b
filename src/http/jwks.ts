import type { HonoJsonWebKey } from "hono/utils/jwt/jws";

/** The identity provider's keys could not be fetched; the token can be neither trusted nor refused. */
export class JwksUnavailableError extends Error {
  override name = "JwksUnavailableError";
}

export interface JwksCacheOptions {
  url: string;
  /** How long a fetched key set is trusted before it is fetched again. Default 600 s. */
  maxAgeSeconds?: number;
  /** An unknown `kid` triggers a refetch at most this often, so random kids cannot flood the provider. Default 30 s. */
  minRefreshSeconds?: number;
  /** Deadline of one fetch. Default 5000 ms. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  now?: () => number;
}

type KeySet = { keys: HonoJsonWebKey[]; fetchedAt: number };

/**
 * A JWKS kept in memory: fetched on first use, trusted for `maxAgeSeconds`,
 * refetched early when a token names a key it does not hold. Hono's `jwk`
 * middleware fetches on every request, which would put the identity provider
 * on every request's path.
 *
 * @example
 * const jwks = createJwksCache({ url: "https://id.example.com/.well-known/jwks.json" });
 * const key = await jwks.keyFor("2024-10-key");
 */
export function createJwksCache(options: JwksCacheOptions) {
  const {
    url,
    maxAgeSeconds = 600,
    minRefreshSeconds = 30,
    timeoutMs = 5_000,
    fetch: fetchJwks = fetch,
    now = Date.now,
  } = options;
  let current: KeySet | undefined;

  async function download(): Promise<KeySet> {
    let body: unknown;
    try {
      const res = await fetchJwks(url, { headers: { Accept: "application/json" }, signal: AbortSignal.timeout(timeoutMs) });
      if (!res.ok) throw new Error(`the JWKS endpoint answered ${res.status}`);
      body = await res.json();
    } catch (error) {
      throw new JwksUnavailableError("the JWKS could not be fetched", { cause: error });
    }
    const keys = (body as { keys?: unknown })?.keys;
    if (!Array.isArray(keys)) throw new JwksUnavailableError("the JWKS has no keys array");
    return { keys: keys.filter((k): k is HonoJsonWebKey => typeof k === "object" && k !== null), fetchedAt: now() };
  }

  // Requests share the keys, never a fetch in flight: in a Worker, a promise
  // created by one request must not be awaited by another.
  async function refresh(): Promise<KeySet> {
    current = await download();
    return current;
  }

  const age = () => (current ? (now() - current.fetchedAt) / 1000 : Number.POSITIVE_INFINITY);

  return {
    /** The key with this `kid`, or undefined when the provider does not publish one. */
    async keyFor(kid: string): Promise<HonoJsonWebKey | undefined> {
      const set = age() < maxAgeSeconds ? current! : await refresh();
      const key = set.keys.find((k) => k.kid === kid);
      if (key || age() < minRefreshSeconds) return key;
      return (await refresh()).keys.find((k) => k.kid === kid);
    },
  };
}

export type JwksCache = ReturnType<typeof createJwksCache>;
