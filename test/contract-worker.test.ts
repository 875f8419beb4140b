import { join } from "node:path";
import { startLibsqlServer } from "../scripts/libsql-server/server";
import { CONTRACT } from "./contract";
import { describeContract } from "./contract/target";
import { createTestDatabase } from "./support/database";
import { TEST_SECRET } from "./support/tokens";
import { startWorker } from "./support/worker";

// The production path: the Worker in workerd, reaching its database over HTTP
// (Hrana), as it reaches Turso. The server's counter sees every round trip.
describeContract(
  "Worker in workerd, over HTTP to a libSQL server",
  async () => {
    const database = await createTestDatabase();
    const server = await startLibsqlServer({ dbPath: join(database.dir, "test.db") });
    const worker = await startWorker({ TURSO_DATABASE_URL: server.url, JWT_SECRET: TEST_SECRET });
    return {
      fetch: (path, init) => fetch(new URL(path, worker.url), init),
      db: database.db,
      dbRequests: { count: async () => server.pipelineRequests(), reset: async () => server.resetStats() },
      close: async () => {
        await worker.dispose();
        await server.close();
        database.close();
      },
    };
  },
  CONTRACT,
);
