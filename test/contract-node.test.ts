import { CONTRACT_WITHOUT_COUNTS } from "./contract";
import { describeContract } from "./contract/target";
import { startNodeTarget } from "./support/targets";

describeContract("Node server over HTTP", () => startNodeTarget(), CONTRACT_WITHOUT_COUNTS);
