import { startNodeTarget } from "../support/targets";
import { CONTRACT_WITHOUT_COUNTS } from ".";
import { describeContract } from "./target";

describeContract("Node server over HTTP", () => startNodeTarget(), CONTRACT_WITHOUT_COUNTS);
