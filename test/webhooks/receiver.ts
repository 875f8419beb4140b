import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

export interface ReceivedWebhook {
  id: string;
  timestamp: string;
  signature: string;
  userAgent: string | undefined;
  contentType: string | undefined;
  body: string;
  /** Date.now() when it arrived. */
  at: number;
}

export type Reply = { status: number; headers?: Record<string, string> };

/**
 * A webhook receiver as an integrator would run it: a local HTTP server that
 * keeps every request and answers as `reply` says (200 by default).
 */
export async function startReceiver(reply: (n: number, hook: ReceivedWebhook) => Reply = () => ({ status: 200 })) {
  const received: ReceivedWebhook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const h: IncomingHttpHeaders = req.headers;
      const hook: ReceivedWebhook = {
        id: String(h["webhook-id"]),
        timestamp: String(h["webhook-timestamp"]),
        signature: String(h["webhook-signature"]),
        userAgent: h["user-agent"],
        contentType: h["content-type"],
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      };
      received.push(hook);
      const { status, headers } = reply(received.length, hook);
      res.writeHead(status, headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return {
    url,
    received,
    /** Waits until `predicate` holds for what arrived, or fails after `timeoutMs`. */
    async until(predicate: (received: ReceivedWebhook[]) => boolean, timeoutMs = 10_000): Promise<ReceivedWebhook[]> {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline)
          throw new Error(`the receiver got ${received.length} webhook(s), not what was expected`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** Verifies a received webhook with `standardwebhooks`, as an integrator's code would; returns the payload. */
export function verifyWith(secret: string, hook: ReceivedWebhook): unknown {
  return new Webhook(secret).verify(hook.body, {
    "webhook-id": hook.id,
    "webhook-timestamp": hook.timestamp,
    "webhook-signature": hook.signature,
  });
}
