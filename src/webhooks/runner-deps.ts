import type { Database } from "../db/client";
import type { Config } from "../env";
import type { Logger } from "../log";
import type { RunnerDeps } from "./run";
import { createSecretBox } from "./secrets";
import { createWebhookStore } from "./store";

/**
 * What the delivery runner needs under a configuration: the webhook tables,
 * the secret box and the retry schedule. Built once per runtime.
 */
export function webhookRunnerDeps(db: Database, config: Config, logger: Logger): RunnerDeps {
  return {
    store: createWebhookStore(db, { timeoutMs: config.databaseTimeoutMs }),
    secrets: createSecretBox(config.webhookSecretKey),
    retrySchedule: config.webhookRetrySchedule,
    logger,
  };
}
