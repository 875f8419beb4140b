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
        // The Worker's queue consumer sends earlier tests' webhooks in the background, and the server counts its
        // requests too: a count starts once the server has been quiet for a moment.
        reset: async () => {
          for (let seen = -1; seen !== target.server.pipelineRequests(); ) {
            seen = target.server.pipelineRequests();
            await new Promise((resolve) => setTimeout(resolve, 40));
          }
          target.server.resetStats();
        },
      },
    };
  },
  CONTRACT,
);
