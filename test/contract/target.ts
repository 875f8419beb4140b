import { afterAll, beforeAll, describe } from "vitest";
import type { Database } from "../../src/db/client";
import { expectDocumentedResponse } from "../support/openapi";

/** One way of running the service: in-process, a Node server, or the Worker in workerd. */
export interface ContractTarget {
  /** Sends a request to the service; `path` starts with `/`. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The service's database, to build data and to read the effects. */
  db: Database;
  /** Round trips the service made to its database, when the target can observe them. */
  dbRequests?: { count(): Promise<number>; reset(): Promise<void> };
  close(): Promise<void>;
  /** Where an HTTP target listens, for requests `fetch` cannot send (raw header bytes). */
  url?: URL;
}

export type ContractSuite = (target: () => ContractTarget) => void;

/**
 * Sends one request and counts the database round trips the service made for
 * it (the body is read first, so the whole answer is counted).
 *
 * @example
 * expect(await roundTripsOf(target(), () => target().fetch("/readyz"))).toEqual({ status: 200, round_trips: 1 });
 */
export async function roundTripsOf(
  target: ContractTarget,
  send: () => Promise<Response>,
): Promise<{ status: number; round_trips: number }> {
  const requests = target.dbRequests;
  if (!requests) throw new Error("this target cannot count database requests");
  await requests.reset();
  const res = await send();
  await res.arrayBuffer();
  return { status: res.status, round_trips: await requests.count() };
}

/**
 * Runs contract suites against one target, started once for the file. Every
 * response any suite sees is also checked against the OpenAPI document.
 *
 * @example
 * describeContract("in-process app", startAppTarget, [happyPath, errors]);
 */
export function describeContract(name: string, start: () => Promise<ContractTarget>, suites: ContractSuite[]) {
  describe(`contract — ${name}`, () => {
    let target: ContractTarget | undefined;
    beforeAll(async () => {
      const started = await start();
      target = {
        ...started,
        async fetch(path, init) {
          const res = await started.fetch(path, init);
          await expectDocumentedResponse(init?.method ?? "GET", new URL(path, "http://target").pathname, res);
          return res;
        },
      };
    });
    afterAll(async () => {
      await target?.close();
    });
    const current = () => {
      if (!target) throw new Error("the target did not start");
      return target;
    };
    for (const suite of suites) suite(current);
  });
}
