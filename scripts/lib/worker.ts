import { unstable_startWorker } from "wrangler";
import { writeAssets } from "../assets";

/** One line the Worker wrote to its console, as workerd reported it. */
export interface WorkerLogLine {
  level: string;
  message: string;
}

export interface WorkerHandle {
  url: URL;
  /** Every line the Worker logged since it started, in order (console.log → "log"/"info", console.error → "error"). */
  logs: WorkerLogLine[];
  dispose(): Promise<void>;
}

export interface StartWorkerOptions {
  /** Serve GET /__scheduled, which runs the Cron Trigger's scheduled() (wrangler dev's --test-scheduled). */
  testScheduled?: boolean;
  /** Other bindings (e.g. rate limiters with a test's own budget), replacing wrangler.toml's of the same name. */
  bindings?: Record<string, object>;
}

/**
 * The real Worker (wrangler.toml, src/worker.ts) in workerd, on a free port,
 * with the given bindings instead of anything in .dev.vars. Its console output
 * is kept on the handle, so tests can read the Worker's own log lines; its
 * error lines also go to stderr, as `wrangler dev` would show them.
 *
 * @example
 * const worker = await startWorker({ TURSO_DATABASE_URL: server.url, JWT_SECRET: TEST_SECRET });
 * await fetch(new URL("/healthz", worker.url));
 * worker.logs.map((line) => JSON.parse(line.message));
 */
export async function startWorker(
  vars: Record<string, string>,
  { testScheduled = false, bindings = {} }: StartWorkerOptions = {},
): Promise<WorkerHandle> {
  writeAssets();
  const logs: WorkerLogLine[] = [];
  const worker = await unstable_startWorker({
    config: "wrangler.toml",
    envFiles: [],
    bindings: {
      ...Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, { type: "plain_text", value }])),
      ...(bindings as Record<string, { type: "plain_text"; value: string }>),
    },
    dev: {
      server: { hostname: "127.0.0.1", port: 0 },
      inspector: false,
      persist: false,
      logLevel: "error",
      watch: false,
      remote: false,
      // workerd's structured logs: one record per console call of the Worker.
      structuredLogsHandler: ({ level, message }: WorkerLogLine) => {
        logs.push({ level, message });
        if (level === "error") console.error(message);
      },
      // GET /__scheduled runs the Cron Trigger's scheduled() (wrangler dev's --test-scheduled).
      testScheduled,
    },
  });
  await worker.ready;
  return { url: new URL(String(await worker.url)), logs, dispose: () => worker.dispose() };
}
