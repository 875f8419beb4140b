import { startWorkerTarget } from "../support/targets";
import { CONTRACT } from ".";
import { describeContract } from "./target";

// The production path: the Worker in workerd, reaching its database over HTTP
// (Hrana), as it reaches Turso. The server's counter sees every round trip.
describeContract(
  "Worker in workerd, over HTTP to a libSQL server",
  async () => {
    const target = await startWorkerTarget();
    return {
      ...target,
      dbRequests: {
        count: async () => target.server.pipelineRequests(),
        reset: async () => target.server.resetStats(),
      },
    };
  },
  CONTRACT,
);
