import { existsSync } from "node:fs";
import { freePort, NODE_BUILD, spawnNodeEntry } from "../../scripts/lib/processes";
import type { Database } from "../../src/db/client";
import { BENCH_SECRET } from "./edge-env";
import { freshDatabase } from "./fresh-database";

/** Past any run's needs: one token converts every lead of a run, far over the spec's 600 a minute. */
const UNLIMITED = "1000000";

export interface NodeBench<T> {
  url: string;
  /** The Node entry's process id, for its memory. */
  pid: number;
  /** What `seed` returned. */
  data: T;
  /** Stops the process and deletes its database. */
  close(): Promise<void>;
}

/**
 * The Node entry's production build in a process of its own, on a fresh
 * embedded database seeded by `seed`, signing with {@link BENCH_SECRET} and
 * with both rate limits out of the way unless `env` sets them. Build
 * dist/node.mjs first (`buildNodeEntry()`): bench/run.ts builds it once for
 * every part.
 *
 * @example
 * const node = await startNodeBench({ name: "throughput", seed: (db) => seedBenchData(db, 1_000) });
 * try { await fetch(`${node.url}/healthz`); } finally { await node.close(); }
 */
export async function startNodeBench<T>({
  name,
  seed,
  env = {},
}: {
  name: string;
  seed: (db: Database) => Promise<T>;
  /** Extra variables for the entry, or budgets of the run's own. */
  env?: Record<string, string>;
}): Promise<NodeBench<T>> {
  if (!existsSync(NODE_BUILD))
    throw new Error(`${NODE_BUILD} is missing: build it first (buildNodeEntry(), or npm run build:node)`);
  const { url, db, data, remove } = await freshDatabase(name, seed);
  db.$client.close();
  try {
    const server = await spawnNodeEntry(
      {
        TURSO_DATABASE_URL: url,
        JWT_SECRET: BENCH_SECRET,
        RATE_LIMIT_CONVERSIONS_PER_MINUTE: UNLIMITED,
        RATE_LIMIT_REQUESTS_PER_MINUTE: UNLIMITED,
        ...env,
      },
      await freePort(),
      { built: true },
    );
    return {
      url: server.url,
      pid: server.child.pid!,
      data,
      async close() {
        server.child.kill("SIGTERM");
        await server.exited;
        remove();
      },
    };
  } catch (error) {
    remove();
    throw error;
  }
}
