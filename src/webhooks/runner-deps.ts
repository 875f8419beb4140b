import type { Database } from "../db/client";
import type { Logger } from "../log";
import type { WebhookTransport } from "./deliver";
import type { RunnerDeps } from "./run";
import { createSecretBox } from "./secrets";
import { createWebhookStore } from "./store";

/** The settings the delivery runner reads: the entry's parsed configuration satisfies it. */
export interface WebhookRunnerSettings {
  databaseTimeoutMs: number;
  webhookSecretKey: string | undefined;
  webhookRetrySchedule: number[];
  webhookAllowInsecureUrls: boolean;
}

/**
 * What the delivery runner needs under a configuration: the webhook tables,
 * the secret box and the retry schedule. Built once per runtime.
 *
 * @example
 * const dispatcher = startDispatcher(webhookRunnerDeps(db, config, logger));
 */
export function webhookRunnerDeps(
  db: Database,
  config: WebhookRunnerSettings,
  logger: Logger,
  transport?: WebhookTransport,
): RunnerDeps {
  return {
    allowInsecureUrls: config.webhookAllowInsecureUrls,
    transport,
    store: createWebhookStore(db, { timeoutMs: config.databaseTimeoutMs }),
    secrets: createSecretBox(config.webhookSecretKey),
    retrySchedule: config.webhookRetrySchedule,
    logger,
  };
}
