import { createApp } from "../../src/app";
import { countingDatabase, createTestDatabase } from "../support/database";
import { silentLogger } from "../support/logs";
import { TEST_SECRET } from "../support/tokens";
import type { ContractTarget } from "./target";

/**
 * The app in this process on a fresh test database, counting its round trips: the in-process contract target.
 *
 * @example
 * describeContract("in-process app", startInProcessTarget, CONTRACT);
 */
export async function startInProcessTarget(): Promise<ContractTarget> {
  const database = await createTestDatabase();
  const counted = countingDatabase(database.db.$client);
  const app = createApp({ db: counted.db, auth: { secret: TEST_SECRET }, logger: silentLogger() });
  return {
    fetch: async (path, init) => app.request(path, init),
    db: database.db,
    dbRequests: { count: async () => counted.calls(), reset: async () => counted.reset() },
    close: async () => database.close(),
  };
}
