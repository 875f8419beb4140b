import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./types";

/**
 * `Cache-Control: no-store` on every response that does not state its own
 * policy — 200s carry names, NITs, emails and phones, and errors echo ids.
 * App-level, so every route added later gets it without asking; only the docs'
 * static files set a policy of their own.
 *
 * @example
 * app.use(noStore());
 */
export function noStore(): MiddlewareHandler<AppEnv> {
  return async function noStore(c, next) {
    await next();
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
  };
}
