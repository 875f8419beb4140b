import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** One webhook as the receiver took it: its id, the lead it is about, when it arrived (performance.now()). */
export interface Arrival {
  id: string;
  leadId: string;
  at: number;
}

/** True when one of the `v1,` signatures is the HMAC-SHA256 of `{id}.{timestamp}.{body}` (Standard Webhooks). */
function signedBy(secret: string, id: string, timestamp: string, body: string, header: string): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  return header.split(" ").some((part) => {
    const [version, signature] = part.split(",");
    const given = Buffer.from(signature ?? "", "base64");
    return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/**
 * A webhook receiver that answers 204 at once and keeps, per event id, the
 * first correctly signed arrival; unsigned or wrongly signed requests are
 * counted and answered 401. The secret comes after registration (`useSecret`).
 */
export async function startReceiver() {
  let secret: string | undefined;
  const arrivals = new Map<string, Arrival>();
  let badSignatures = 0;
  let duplicates = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const at = performance.now();
      const body = Buffer.concat(chunks).toString("utf8");
      const [id, timestamp, signature] = ["webhook-id", "webhook-timestamp", "webhook-signature"].map((name) =>
        String(req.headers[name] ?? ""),
      );
      if (secret === undefined || !signedBy(secret, id!, timestamp!, body, signature!)) {
        badSignatures += 1;
        return res.writeHead(401).end();
      }
      if (arrivals.has(id!)) duplicates += 1;
      else
        arrivals.set(id!, {
          id: id!,
          leadId: String((JSON.parse(body) as { data?: { lead_id?: unknown } }).data?.lead_id),
          at,
        });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    useSecret(value: string) {
      secret = value;
    },
    /** The first arrival of each event, by the lead it is about. */
    byLead(): Map<string, Arrival> {
      return new Map([...arrivals.values()].map((arrival) => [arrival.leadId, arrival]));
    },
    get badSignatures() {
      return badSignatures;
    },
    get duplicates() {
      return duplicates;
    },
    /** Waits until `count` distinct events arrived, or `timeoutMs` passed. */
    async until(count: number, timeoutMs: number): Promise<void> {
      const deadline = performance.now() + timeoutMs;
      while (arrivals.size < count && performance.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 10));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
