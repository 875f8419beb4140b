import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/processes";
import { generateSecret, signatureHeader } from "../../src/webhooks/sign";

const RECEIVER = fileURLToPath(new URL("../../scripts/receiver.ts", import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let receiver: ChildProcess | undefined;
afterEach(() => {
  receiver?.kill("SIGKILL");
  receiver = undefined;
});

/** scripts/receiver.ts on a free port, once it says it listens; `output()` is what it printed. */
async function startReceiver(args: string[], env: Record<string, string> = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", RECEIVER, "--port", String(port), ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  receiver = child;
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk));
  for (const giveUpAt = Date.now() + 20_000; !output.includes("listening on"); await sleep(50)) {
    if (child.exitCode !== null || Date.now() > giveUpAt) throw new Error(`the receiver did not start:\n${output}`);
  }
  const url = `http://127.0.0.1:${port}/hooks`;
  return { url, output: () => output };
}

async function deliver(
  url: string,
  secrets: string[],
  id: string,
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
) {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "webhook-id": id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": await signatureHeader(secrets, id, timestamp, body),
    },
    body,
  });
  return res.status;
}

const leadId = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c99";
const created = JSON.stringify({
  type: "lead.created",
  timestamp: "2026-01-01T00:00:00Z",
  data: { lead: { id: leadId } },
});
const converted = JSON.stringify({
  type: "lead.converted",
  timestamp: "2026-01-01T00:00:00Z",
  data: { lead_id: leadId },
});

describe("npm run receiver (scripts/receiver.ts)", () => {
  it("answers 204 to what the service signs with the endpoint's secret and prints its type, webhook-id and lead", async () => {
    const secret = generateSecret();
    const { url, output } = await startReceiver(["--secret", secret]);
    expect(await deliver(url, [secret], "e-1", created)).toBe(204);
    expect(await deliver(url, [generateSecret(), secret], "e-2", converted)).toBe(204);
    expect(await deliver(url, [secret], "e-2", converted)).toBe(204);
    await sleep(200);
    expect(output()).toMatch(new RegExp(`^verified  lead\\.created +e-1  lead ${leadId}$`, "m"));
    expect(output()).toMatch(new RegExp(`^verified  lead\\.converted +e-2  lead ${leadId}$`, "m"));
    expect(output()).toMatch(/^verified {2}lead\.converted +e-2 {2}lead \S+ {2}\(again: already handled\)$/m);
  });

  it("answers 400 and prints rejected for another secret, a changed body, or a stale timestamp; takes RECEIVER_SECRET", async () => {
    const secret = generateSecret();
    const { url, output } = await startReceiver([], { RECEIVER_SECRET: secret });
    expect(await deliver(url, [generateSecret()], "e-1", created)).toBe(400);
    const signed = await signatureHeader([secret], "e-2", Math.floor(Date.now() / 1000), created);
    const tampered = await fetch(url, {
      method: "POST",
      headers: {
        "webhook-id": "e-2",
        "webhook-timestamp": String(Math.floor(Date.now() / 1000)),
        "webhook-signature": signed,
      },
      body: converted,
    });
    expect(tampered.status).toBe(400);
    expect(await deliver(url, [secret], "e-3", created, Math.floor(Date.now() / 1000) - 3_600)).toBe(400);
    await sleep(200);
    expect(output()).not.toContain("verified");
    expect(output().match(/^rejected {2}e-[123]: /gm)).toHaveLength(3);
  });

  it("refuses to start without a whsec_ secret", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", RECEIVER, "--secret", "not-a-secret"], {
      env: { ...process.env, RECEIVER_SECRET: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    const code = await new Promise((resolve) => child.once("exit", resolve));
    expect(code).toBe(2);
    expect(stderr).toContain("usage: npm run -s receiver");
  });
});
