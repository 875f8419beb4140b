import { describeError } from "../log";
import { type RunnerDeps, runDueDeliveries } from "./run";

/** How often the Node entry looks for due deliveries. */
export const DISPATCH_INTERVAL_MS = 1_000;
// Passes whose sends hang hold a slot for up to 15 s; each entity holds at most MAX_IN_FLIGHT_PER_ENTITY
// sends, so one entity's hanging receivers leave the other slots to everyone else.
const MAX_CONCURRENT_RUNS = 16;

export interface Dispatcher {
  /** Look now: a conversion has just written an event. */
  wake(): void;
  /** Stops looking and waits for attempts in flight (each is bounded by the 15 s send deadline). */
  stop(): Promise<void>;
}

/**
 * The Node entry's delivery driver: every second (and at once when woken) it
 * claims due deliveries from the tables and sends them, with the same code
 * as the Worker's queue consumer. Claims are leases in the database, so a
 * crash loses nothing: a restarted process picks the deliveries up again.
 *
 * @example
 * const dispatcher = startDispatcher(webhookRunnerDeps(db, config, logger));
 * process.once("SIGTERM", () => dispatcher.stop());
 */
export function startDispatcher(deps: RunnerDeps, { intervalMs = DISPATCH_INTERVAL_MS } = {}): Dispatcher {
  const running = new Set<Promise<void>>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let stopped = false;

  const later = (delayMs: number) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, delayMs);
    timer.unref?.();
    timers.add(timer);
  };

  function run(): void {
    if (stopped || running.size >= MAX_CONCURRENT_RUNS) return;
    let claimed = 0;
    const pass = runDueDeliveries({ any: true }, deps)
      .then((done) => {
        claimed = done.claimed;
        // A retry due before the next tick gets its own wake-up, so short test schedules are kept exactly.
        const soonest = Math.min(...done.retries.map((r) => r.delayMs));
        if (soonest < intervalMs) later(soonest);
      })
      .catch((error: unknown) => deps.logger.error({ msg: "webhook dispatch failed", error: describeError(error) }))
      .finally(() => {
        running.delete(pass);
        // A pass that found work looks again at once: the per-entity cap on sends in flight may have left one
        // entity's next deliveries for later, and they must not wait for the next tick.
        if (claimed > 0) run();
      });
    running.add(pass);
  }

  const interval = setInterval(run, intervalMs);
  interval.unref?.();
  run();
  return {
    wake: run,
    async stop() {
      stopped = true;
      clearInterval(interval);
      for (const timer of timers) clearTimeout(timer);
      await Promise.allSettled([...running]);
    },
  };
}
