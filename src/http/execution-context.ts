import type { ExecutionContext } from "hono";

/**
 * The request's ExecutionContext on Workers; undefined on Node, where Hono's
 * `c.executionCtx` throws instead of returning nothing.
 *
 * @example
 * executionContextOf(c)?.waitUntil(refresh); // on Node there is none, and the promise simply runs on
 */
export function executionContextOf(c: { executionCtx: ExecutionContext }): ExecutionContext | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}
