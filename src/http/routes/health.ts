import { Hono } from "hono/tiny";
import * as z from "zod/mini";
import type { Database } from "../../db/client";
import { callDatabase } from "../../db/errors";
import type { RouteContract } from "../openapi/contract";
import { ref } from "../openapi/parts";
import { jsonResponse, notReadyResponse } from "../openapi/responses";
import type { AppEnv } from "../types";

export interface HealthDeps {
  db: Database;
  databaseTimeoutMs: number;
}

/**
 * `GET /healthz` answers as long as the service runs; `GET /readyz` also asks
 * the database one trivial question, and answers 503 when it cannot. Neither is
 * cached: the app's `Cache-Control: no-store` covers them.
 */
export function healthRoutes({ db, databaseTimeoutMs }: HealthDeps) {
  return new Hono<AppEnv>()
    .get("/healthz", (c) => c.json({ status: "ok" as const }, 200))
    .get("/readyz", async (c) => {
      await callDatabase(() => db.$client.execute("select 1"), databaseTimeoutMs);
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
