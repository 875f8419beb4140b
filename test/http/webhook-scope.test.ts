import { startInProcessTarget } from "../contract/in-process-target";
import { describeContract } from "../contract/target";
import { type WebhookKeysTarget, webhookKeys } from "./webhook-scope";

describeContract("in-process app", startInProcessTarget, [(target) => webhookKeys(target as () => WebhookKeysTarget)]);
