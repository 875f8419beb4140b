import { randomBytes } from "node:crypto";
import { HranaError } from "./errors";
import type { ConnectionPool } from "./pool";
import { Stream } from "./stream";

export interface StreamRegistryOptions {
  connections: ConnectionPool;
  idleTimeoutMs: number;
  busyWaitMs: number;
}

type RetiredBaton = "used" | "expired";

// Enough to explain a stale baton to a client that is a little behind, without growing forever.
const RETIRED_BATONS_KEPT = 10_000;

/**
 * Hands out streams by baton. A baton is good for exactly one pipeline: taking a
 * stream retires its baton, and handing it back issues a fresh one, so two
 * requests can never run on one stream at once.
 *
 * @example
 * const registry = new StreamRegistry({ connections, idleTimeoutMs: 10_000, busyWaitMs: 5_000 });
 * const stream = registry.checkOut(null); // a new stream
 * const baton = registry.checkIn(stream); // what the client sends next time
 */
export class StreamRegistry {
  readonly #options: StreamRegistryOptions;
  readonly #idle = new Map<string, { stream: Stream; timer: NodeJS.Timeout }>();
  readonly #open = new Set<Stream>();
  readonly #retired = new Map<string, RetiredBaton>();
  #shutDown = false;

  constructor(options: StreamRegistryOptions) {
    this.#options = options;
  }

  get openStreams(): number {
    return this.#open.size;
  }

  /** The stream a baton names, or a new stream for `null`; the baton cannot be used again. */
  checkOut(baton: string | null | undefined): Stream {
    if (this.#shutDown) throw new HranaError("The server is shutting down", "SERVER_CLOSED", 503);
    if (baton === null || baton === undefined) {
      const stream = new Stream(this.#options.connections, this.#options.busyWaitMs);
      this.#open.add(stream);
      return stream;
    }
    const idle = this.#idle.get(baton);
    if (idle === undefined) throw this.#staleBatonError(baton);
    clearTimeout(idle.timer);
    this.#idle.delete(baton);
    this.#retire(baton, "used");
    return idle.stream;
  }

  /** Takes a stream back after its pipeline: the baton for its next request, or `null` if it was closed. */
  checkIn(stream: Stream): string | null {
    if (stream.closed || this.#shutDown) {
      this.#close(stream);
      return null;
    }
    const baton = randomBytes(32).toString("base64url");
    const timer = setTimeout(() => this.#expire(baton), this.#options.idleTimeoutMs);
    // An idle stream must not keep the process alive.
    timer.unref();
    this.#idle.set(baton, { stream, timer });
    return baton;
  }

  /** Closes every stream, idle or busy, and refuses new ones. */
  shutDown(): void {
    this.#shutDown = true;
    for (const { timer } of this.#idle.values()) clearTimeout(timer);
    this.#idle.clear();
    for (const stream of this.#open) this.#close(stream);
    this.#options.connections.closeAll();
  }

  #expire(baton: string): void {
    const idle = this.#idle.get(baton);
    if (idle === undefined) return;
    this.#idle.delete(baton);
    this.#retire(baton, "expired");
    this.#close(idle.stream);
  }

  #close(stream: Stream): void {
    this.#open.delete(stream);
    if (!stream.closed) stream.close();
  }

  #retire(baton: string, reason: RetiredBaton): void {
    this.#retired.set(baton, reason);
    if (this.#retired.size > RETIRED_BATONS_KEPT) {
      const oldest = this.#retired.keys().next().value;
      if (oldest !== undefined) this.#retired.delete(oldest);
    }
  }

  #staleBatonError(baton: string): HranaError {
    switch (this.#retired.get(baton)) {
      case "expired":
        return new HranaError(
          `The stream expired after ${this.#options.idleTimeoutMs} ms without a request; ` +
            "its open transaction was rolled back. Start again on a new stream.",
          "STREAM_EXPIRED",
        );
      case "used":
        return new HranaError(
          "This baton was already used. Each response carries the baton for the next request, " +
            "so requests on one stream must be sent one after another.",
          "BATON_REUSED",
        );
      default:
        return new HranaError(
          "Unknown baton: this server did not issue it, or has restarted since. Start again on a new stream.",
          "BATON_INVALID",
        );
    }
  }
}
