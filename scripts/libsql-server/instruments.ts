import { setTimeout as sleep } from "node:timers/promises";

/**
 * Waits `ms` milliseconds, to a tenth of a millisecond: a timer alone fires up
 * to a millisecond late, which would charge every simulated round trip extra.
 * The timer covers all but the last millisecond; the rest yields to the event
 * loop until the deadline.
 *
 * @example
 * await preciseDelay(25); // 25.0–25.1 ms later
 */
export async function preciseDelay(ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  if (ms > 1) await sleep(ms - 1);
  while (performance.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * How an injected failure shows: an HTTP status without executing, a dropped
 * connection without executing, or a dropped connection after executing (a
 * response lost after the commit).
 */
export const FAILURE_MODES = ["500", "503", "drop", "drop-after"] as const;
export type FailureMode = (typeof FAILURE_MODES)[number];

/**
 * The knobs tests and benchmarks turn: a simulated network latency, failures
 * injected into the next pipeline requests, and a count of pipeline requests.
 *
 * @example
 * const instruments = new Instruments(0);
 * instruments.failNext(1, "503");
 * instruments.takeFailure(); // "503"
 * instruments.takeFailure(); // undefined
 */
export class Instruments {
  #latencyMs = 0;
  #pipelineRequests = 0;
  readonly #failures: FailureMode[] = [];

  constructor(latencyMs: number) {
    this.setLatency(latencyMs);
  }

  get latencyMs(): number {
    return this.#latencyMs;
  }

  get pipelineRequests(): number {
    return this.#pipelineRequests;
  }

  setLatency(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`Latency must be a non-negative number of ms, got ${ms}`);
    this.#latencyMs = ms;
  }

  countPipelineRequest(): void {
    this.#pipelineRequests += 1;
  }

  resetStats(): void {
    this.#pipelineRequests = 0;
  }

  /** Makes the next `count` pipeline requests fail the given way. */
  failNext(count: number, mode: FailureMode): void {
    if (!Number.isInteger(count) || count < 0)
      throw new RangeError(`Count must be a non-negative integer, got ${count}`);
    if (!FAILURE_MODES.includes(mode)) throw new RangeError(`Unknown failure mode ${JSON.stringify(mode)}`);
    for (let i = 0; i < count; i += 1) this.#failures.push(mode);
  }

  /** The failure the current pipeline request must show, if one is pending. */
  takeFailure(): FailureMode | undefined {
    return this.#failures.shift();
  }
}
