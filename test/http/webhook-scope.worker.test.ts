import { describeContract } from "../contract/target";
import { startWorkerTarget } from "../support/targets";
import { type WebhookKeysTarget, webhookKeys } from "./webhook-scope";

// The production path: the Worker in workerd over HTTP (Hrana) to a libSQL
// server, whose pipeline counter sees every database request the Worker makes.
describeContract("Worker in workerd, over HTTP to a libSQL server", async (): Promise<WebhookKeysTarget> => {
  const target = await startWorkerTarget();
  return {
    ...target,
    announces: true,
    dbRequests: { count: async () => target.server.pipelineRequests(), reset: async () => target.server.resetStats() },
  };
}, [(target) => webhookKeys(target as () => WebhookKeysTarget)]);
