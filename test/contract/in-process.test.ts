import { createApp } from "../../src/app";
import { countingDatabase, createTestDatabase } from "../support/database";
import { silentLogger } from "../support/logs";
import { TEST_SECRET } from "../support/tokens";
import { CONTRACT } from ".";
import { describeContract } from "./target";

describeContract(
  "in-process app",
  async () => {
    const database = await createTestDatabase();
    const counted = countingDatabase(database.db.$client);
    const app = createApp({ db: counted.db, auth: { secret: TEST_SECRET }, logger: silentLogger() });
    return {
      fetch: async (path, init) => app.request(path, init),
      db: database.db,
      dbRequests: { count: async () => counted.calls(), reset: async () => counted.reset() },
      close: async () => database.close(),
    };
  },
  CONTRACT,
);
