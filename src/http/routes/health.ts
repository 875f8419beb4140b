import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import type { Database } from "../../db/client";
import { callDatabase } from "../../db/errors";
import type { RouteContract } from "../openapi/contract";
import { ref } from "../openapi/parts";
import { jsonResponse, notReadyResponse } from "../openapi/responses";
import type { AppEnv } from "../types";

/** `/readyz` asks the database at most this often per isolate/process, however often it is called. */
export const READINESS_CHECK_INTERVAL_MS = 1_000;

export interface HealthDeps {
  db: Database;
  databaseTimeoutMs: number;
  now?: () => number;
}

/**
 * The database's answer to one trivial question, asked at most once per
 * {@link READINESS_CHECK_INTERVAL_MS}: callers within that time (and callers
 * while it is asked) share the last answer, failure included, so that
 * `/readyz` — public, unauthenticated — cannot be turned into database load.
 */
function readinessCheck({ db, databaseTimeoutMs, now = Date.now }: HealthDeps): () => Promise<void> {
  let last: { at: number; answer: Promise<void> } | undefined;
  return () => {
    const at = now();
    if (last === undefined || at - last.at >= READINESS_CHECK_INTERVAL_MS) {
      const answer = callDatabase(() => db.$client.execute("select 1"), databaseTimeoutMs).then(() => undefined);
      // Shared by later callers: a failure must not surface as an unhandled rejection where nobody awaits it.
      answer.catch(() => undefined);
      last = { at, answer };
    }
    return last.answer;
  };
}

/**
 * `GET /healthz` answers as long as the service runs; `GET /readyz` also asks
 * the database one trivial question — at most once a second — and answers 503
 * when it cannot. Neither is cached by HTTP caches: the app's
 * `Cache-Control: no-store` covers them.
 */
export function healthRoutes(deps: HealthDeps) {
  const ready = readinessCheck(deps);
  return new Hono<AppEnv>()
    .get("/healthz", (c) => c.json({ status: "ok" as const }, 200))
    .get("/readyz", async (c) => {
      await ready();
      return c.json({ status: "ok" as const }, 200);
    });
}

/** `GET /healthz` and `GET /readyz`, as /openapi.json documents them. */
export const healthContract = (): RouteContract => ({
  tag: "Operations",
  schemas: { Health: { schema: z.strictObject({ status: z.literal("ok") }) } },
  paths: {
    "/healthz": {
      get: {
        operationId: "health",
        summary: "Liveness: the service answers (the database is not consulted)",
        responses: { 200: jsonResponse("Alive.", ref("Health")) },
      },
    },
    "/readyz": {
      get: {
        operationId: "ready",
        summary: "Readiness: the database answers a trivial query",
        responses: { 200: jsonResponse("Ready.", ref("Health")), 503: notReadyResponse() },
      },
    },
  },
});
