import type { ExecutionContext } from "hono";

/**
 * The request's ExecutionContext on Workers; undefined on Node, where Hono's
 * `c.executionCtx` throws instead of returning nothing.
 *
 * @example
 * executionContextOf(c)?.waitUntil(refresh); // on Node there is none, and the promise simply runs on
 */
export function executionContextOf(c: { executionCtx: ExecutionContext }): ExecutionContext | undefined {
  // On Node the getter throws on every call (twice a conversion); the thrown Error's stack trace, which nobody reads,
  // was 3.6% of the Node entry's CPU outside the engine under load (bench/RESULTS.md, "Throughput").
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}
