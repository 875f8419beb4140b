import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { Hono } from "hono/tiny";
import type { Logger } from "../log";
import { ApiError, problemResponse } from "./problem";
import type { AppEnv } from "./types";

/**
 * The app served when the configuration is unusable: every request is a 500
 * problem, and every such request logs what is wrong (names, never values).
 *
 * @example
 * createMisconfiguredApp("invalid configuration: JWT_SECRET is required", jsonLogger);
 */
export function createMisconfiguredApp(reason: string, logger: Logger) {
  const app = new Hono<AppEnv>();
  app.use(requestId(), secureHeaders());
  app.all("*", (c) => {
    logger.error({ msg: "service misconfigured", request_id: c.get("requestId"), reason });
    return problemResponse(c, new ApiError("internal_error", "The service is not configured correctly."));
  });
  return app;
}
