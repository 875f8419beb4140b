import type { MiddlewareHandler } from "hono";
import { requestId as honoRequestId } from "hono/request-id";
import type { AppEnv } from "./types";

export const REQUEST_ID_HEADER = "X-Request-Id";

// 1–200 visible ASCII characters (0x21–0x7E) except the quotes: a trace id from
// any caller's system (`.`, `:`, `/`, `+` included) fits, and nothing that could
// split a header or a log line does.
const CALLER_REQUEST_ID = /^[\x21\x23-\x26\x28-\x7e]{1,200}$/;

/** Whether the caller's `X-Request-Id` is kept as the request id. */
export function isAcceptableRequestId(value: string | undefined): value is string {
  return value !== undefined && CALLER_REQUEST_ID.test(value);
}

/**
 * `hono/request-id` with the contract's rule for the caller's id: kept when it
 * is 1–200 visible ASCII characters without spaces or quotes, else a new UUID.
 * The id is echoed in `X-Request-Id` exactly as kept.
 *
 * @example
 * app.use(requestId());
 * // X-Request-Id: trace.01:ab/cd+ef → echoed as sent; "has space" → a new UUID
 */
export function requestId(): MiddlewareHandler<AppEnv> {
  // Hono's own check refuses `.`, `:`, `/` and `+`; reading the header in the
  // generator (and naming no header) puts the rule here.
  const assign = honoRequestId({
    headerName: "",
    generator: (c) => {
      const sent = c.req.header(REQUEST_ID_HEADER);
      return isAcceptableRequestId(sent) ? sent : crypto.randomUUID();
    },
  });
  return async function requestId(c, next) {
    await assign(c, async () => {
      c.header(REQUEST_ID_HEADER, c.get("requestId"));
      await next();
    });
  };
}
