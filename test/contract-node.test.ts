import { parseEnv } from "../src/env";
import { startNodeServer } from "../src/node";
import { CONTRACT_WITHOUT_COUNTS } from "./contract";
import { describeContract } from "./contract/target";
import { createTestDatabase } from "./support/database";
import { silentLogger } from "./support/logs";
import { TEST_SECRET } from "./support/tokens";

describeContract(
  "Node server over HTTP",
  async () => {
    const database = await createTestDatabase();
    const server = await startNodeServer({
      config: parseEnv({ TURSO_DATABASE_URL: database.url, JWT_SECRET: TEST_SECRET }),
      port: 0,
      logger: silentLogger(),
    });
    return {
      fetch: (path, init) => fetch(`${server.url}${path}`, init),
      db: database.db,
      close: async () => {
        await server.close();
        database.close();
      },
    };
  },
  CONTRACT_WITHOUT_COUNTS,
);
