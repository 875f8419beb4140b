import type { MiddlewareHandler } from "hono";
import type { Logger } from "../log";
import type { AppEnv } from "./types";

/**
 * One JSON line per request: id, method, path (never the query string),
 * status, duration, acting entity, lead and outcome. Tokens and personal data
 * never reach this line: only ids and codes do.
 *
 * @example
 * app.use(requestLog(jsonLogger));
 * // {"level":"info","msg":"request","request_id":"…","method":"POST","path":"/turn-lead-into-client","status":200,…}
 */
export function requestLog(logger: Logger): MiddlewareHandler<AppEnv> {
  return async function requestLog(c, next) {
    const started = performance.now();
    await next();
    logger.info({
      msg: "request",
      request_id: c.get("requestId"),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
      financial_entity_id: c.get("actor")?.financialEntityId,
      lead_id: c.get("leadId"),
      outcome: c.get("outcome"),
    });
  };
}
