import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { Caller } from "../domain/caller";
import type { Logger } from "../log";
import type { AppEnv } from "./types";

// What app-level middleware is registered on; a request that matched nothing else matched no route.
const ANY_PATH = "/*";
function actorFields(actor: Caller | undefined) {
  if (actor === undefined) return {};
  return actor.kind === "key" ? { credential: "api_key" } : { financial_entity_id: actor.financialEntityId };
}

/**
 * One JSON line per request: id, method, the matched route's pattern (never
 * the path as sent, nor its query string: either can carry a NIT, an email or
 * a token; "unmatched" for a 404 or 405), status, duration, acting entity, lead
 * and outcome. Tokens and personal data never reach this line: only ids and codes do.
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
      path: routeOf(c),
      status: c.res.status,
      duration_ms: Math.round((performance.now() - started) * 100) / 100,
      // A key's entity is known only to the database; no part of a key is ever logged.
      ...actorFields(c.get("actor")),
      lead_id: c.get("leadId"),
      outcome: c.get("outcome"),
    });
  };
}

function routeOf(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string {
  const route = routePath(c, -1);
  return route === "" || route === ANY_PATH ? "unmatched" : route;
}
