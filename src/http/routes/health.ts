import { Hono } from "hono/tiny";
import type { Database } from "../../db/client";
import { callDatabase } from "../../db/errors";
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
