import { describeContract } from "../contract/target";
import { startNodeTarget } from "../support/targets";
import { webhookLimits } from "./limits";

describeContract("Node entry over HTTP", () => startNodeTarget(), [webhookLimits]);
