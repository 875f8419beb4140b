import { CONTRACT } from ".";
import { startInProcessTarget } from "./in-process-target";
import { describeContract } from "./target";

describeContract("in-process app", startInProcessTarget, CONTRACT);
