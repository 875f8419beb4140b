// npm run -s receiver -- --secret <whsec_…> [--port 9000]   (or RECEIVER_SECRET=<whsec_…> in the environment)
// A webhook receiver as an integrator would write one: it listens on http://127.0.0.1:<port>/hooks, verifies
// each delivery's Standard Webhooks signature with the endpoint's secret, answers 204 to what verifies and
// 400 to what does not, and prints one line per delivery: the verdict, the event type, the webhook-id and
// the lead. The README's walkthrough uses it; Ctrl-C stops it.
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { Webhook } from "standardwebhooks";

const { values } = parseArgs({
  options: { secret: { type: "string" }, port: { type: "string", default: "9000" } },
});
const secret = values.secret ?? process.env.RECEIVER_SECRET;
const port = Number(values.port);
if (!secret?.startsWith("whsec_") || !Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error("usage: npm run -s receiver -- --secret <the endpoint's whsec_… secret> [--port 9000]");
  process.exit(2);
}
const webhook = new Webhook(secret);

interface EventBody {
  type?: string;
  data?: { lead_id?: string; lead?: { id?: string } };
}

const seen = new Set<string>();
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => {
    const id = String(req.headers["webhook-id"] ?? "");
    let event: EventBody;
    try {
      // Verifies the signature over the raw body and refuses a timestamp more than 5 minutes away.
      event = webhook.verify(Buffer.concat(chunks).toString("utf8"), {
        "webhook-id": id,
        "webhook-timestamp": String(req.headers["webhook-timestamp"] ?? ""),
        "webhook-signature": String(req.headers["webhook-signature"] ?? ""),
      }) as EventBody;
    } catch (error) {
      console.log(`rejected  ${id || "(no webhook-id)"}: ${(error as Error).message}`);
      res.writeHead(400).end();
      return;
    }
    // At least once: the webhook-id is the idempotency key.
    const again = seen.has(id) ? "  (again: already handled)" : "";
    seen.add(id);
    const leadId = event.data?.lead?.id ?? event.data?.lead_id ?? "?";
    console.log(`verified  ${String(event.type).padEnd(16)} ${id}  lead ${leadId}${again}`);
    res.writeHead(204).end();
  });
});

server.listen(port, "127.0.0.1", () => {
  console.log(`receiver: listening on http://127.0.0.1:${port}/hooks, verifying signatures with the endpoint's secret`);
});
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
