import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEnv } from "../../src/env";
import { startNodeServer } from "../../src/node";
import { createTestDatabase, type TestDatabase } from "../support/database";
import { silentLogger } from "../support/logs";
import { TEST_SECRET } from "../support/tokens";

// Debian's chromium, installed by .ci/run; the flags keep it off the network it does not have.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

let database: TestDatabase;
let server: Awaited<ReturnType<typeof startNodeServer>>;
let browser: Browser;

beforeAll(async () => {
  database = await createTestDatabase();
  server = await startNodeServer({
    config: parseEnv({ TURSO_DATABASE_URL: database.url, JWT_SECRET: TEST_SECRET }),
    port: 0,
    logger: silentLogger(),
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  database?.close();
});

describe("GET /docs", () => {
  it("renders the API reference, offline, showing the endpoint", async () => {
    const page = await browser.newPage();
    const external: string[] = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(server.url) && !request.url().startsWith("data:")) external.push(request.url());
    });

    const res = await page.goto(`${server.url}/docs`);
    expect(res?.status()).toBe(200);

    await expect.poll(() => page.getByText("Convert a lead into a client").count(), { timeout: 30_000 }).toBeGreaterThan(0);
    expect(await page.content()).toContain("/turn-lead-into-client");
    expect(external.filter((url) => url.includes("/npm/@scalar/api-reference"))).toEqual([]);
    await page.close();
  });
});
