import { startInProcessTarget } from "../contract/in-process-target";
import { describeContract } from "../contract/target";
import { webhookLimits } from "./limits";

describeContract("in-process app", startInProcessTarget, [webhookLimits]);
