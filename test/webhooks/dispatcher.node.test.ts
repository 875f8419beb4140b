import { afterAll, beforeAll, describe } from "vitest";
import { type HttpTarget, startNodeTarget } from "../support/targets";
import { leadEventsSuite } from "./lead-events";
import { eventsSuite, TEST_VARS } from "./suite";

describe.concurrent("conversion events — Node entry (in-process dispatcher)", () => {
  let target: HttpTarget;
  beforeAll(async () => {
    target = await startNodeTarget(TEST_VARS);
  });
  afterAll(() => target?.close());
  eventsSuite(() => target);
  leadEventsSuite(() => target);
});
