import type { ExecutionContext } from "hono";

/**
 * Called with a new event (or a redelivery) so the runtime's driver sends it
 * now rather than at the next sweep: the Worker enqueues it, the Node
 * dispatcher wakes up.
 *
 * @example
 * if (outcome.eventId) announce?.(outcome.eventId, executionContextOf(c));
 */
export type Announce = (eventId: string, executionCtx: ExecutionContext | undefined) => void;
