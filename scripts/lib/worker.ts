import { unstable_startWorker } from "wrangler";
import { writeAssets } from "../assets";

export interface WorkerHandle {
  url: URL;
  dispose(): Promise<void>;
}

/**
 * The real Worker (wrangler.toml, src/worker.ts) in workerd, on a free port,
 * with the given bindings instead of anything in .dev.vars.
 *
 * @example
 * const worker = await startWorker({ TURSO_DATABASE_URL: server.url, JWT_SECRET: TEST_SECRET });
 * await fetch(new URL("/healthz", worker.url));
 */
export async function startWorker(vars: Record<string, string>, { testScheduled = false } = {}): Promise<WorkerHandle> {
  writeAssets();
  const worker = await unstable_startWorker({
    config: "wrangler.toml",
    envFiles: [],
    bindings: Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, { type: "plain_text", value }])),
    dev: {
      server: { hostname: "127.0.0.1", port: 0 },
      inspector: false,
      persist: false,
      logLevel: "error",
      watch: false,
      remote: false,
      // GET /__scheduled runs the Cron Trigger's scheduled() (wrangler dev's --test-scheduled).
      testScheduled,
    },
  });
  await worker.ready;
  return { url: new URL(String(await worker.url)), dispose: () => worker.dispose() };
}
