import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../../src/app";
import { nodeAssets, SCALAR_BUNDLE } from "../../../src/assets-node";
import { parseEnv } from "../../../src/env";
import { TAGS } from "../../../src/http/openapi/contract";
import { startNodeServer } from "../../../src/node";
import { expectProblem } from "../../contract/expect";
import { createTestDatabase, type TestDatabase } from "../../support/database";
import { silentLogger } from "../../support/logs";
import { TEST_SECRET } from "../../support/tokens";

// Debian's chromium, installed by .ci/run; the flags keep it off the network it does not have.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const LOCAL_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** Whether the browser had to leave this machine for the URL (data: and blob: URLs never do). */
function leavesTheMachine(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === "data:" || protocol === "blob:" || protocol === "about:") return false;
  return !LOCAL_HOSTS.has(hostname);
}

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
  it("renders the API reference, offline, showing the endpoint, and asks nothing of any other host", async () => {
    const context = await browser.newContext();
    const external: string[] = [];
    // Every request, whoever makes it (page, worker, font loader): one that leaves the machine fails the test.
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (!leavesTheMachine(url)) return route.continue();
      external.push(url);
      return route.abort("blockedbyclient");
    });
    context.on("request", (request) => {
      if (leavesTheMachine(request.url()) && !external.includes(request.url())) external.push(request.url());
    });
    const page = await context.newPage();

    const res = await page.goto(`${server.url}/docs`);
    expect(res?.status()).toBe(200);

    await expect
      .poll(() => page.getByText("Convert a lead into a client").count(), { timeout: 30_000 })
      .toBeGreaterThan(0);
    expect(await page.content()).toContain("/turn-lead-into-client");
    await page.waitForLoadState("networkidle");
    expect(external).toEqual([]);
    await context.close();
  });

  it("shows the integrator's guide and the operations grouped by tag, on screen", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/docs`);
    // Each heading must be rendered where a reader sees it: a screenshot of it is taken (which
    // waits until it is visible and scrolls it into view) and must hold pixels.
    const shot = async (name: string, locator: ReturnType<typeof page.locator>) => {
      await locator
        .first()
        .waitFor({ state: "visible", timeout: 20_000 })
        .catch((cause) => {
          throw new Error(`${name} is not shown on /docs`, { cause });
        });
      const png = await locator.first().screenshot({ timeout: 10_000 });
      expect(png.byteLength, name).toBeGreaterThan(500);
    };
    for (const heading of [
      "Authentication and tokens",
      "Errors",
      "Retries and idempotency",
      "Rate limits",
      "Many leads in one call",
      "Linking into an existing client",
      "Verifying a delivery",
    ]) {
      await shot(heading, page.getByRole("heading", { name: heading, exact: true }));
    }
    for (const tag of TAGS) {
      // Scalar's tag heading is the tag's name, then the collapse toggle's label ("(Collapsed)").
      await shot(tag, page.getByRole("heading", { name: new RegExp(`^${tag}(\\s|$)`) }));
    }
    // Prose of the guide, not only its headings.
    await shot("the NIT key", page.getByText("Two NITs are the same client when their keys are"));
    await shot("the key format", page.getByText("A key looks like"));
    // For a reader of the CI log: the whole page as rendered.
    await page.screenshot({ path: "dist/docs-page.png", fullPage: false });
    await page.close();
  }, 120_000);
});

describe("GET /docs without the docs bundle", () => {
  const appWith = (scalarBundles: URL[]) =>
    createApp({
      db: database.db,
      auth: { secret: TEST_SECRET },
      logger: silentLogger(),
      assets: nodeAssets({ scalarBundles }),
    });

  it("serves the page and its script from the built assets when node_modules has no Scalar (npm ci --omit=dev)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "docs-assets-"));
    try {
      const built = join(dir, "scalar.js");
      writeFileSync(built, "/* the built copy */");
      const app = appWith([pathToFileURL(built), pathToFileURL(join(dir, "node_modules-without-scalar.js"))]);

      const page = await app.request("/docs");
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('src="/docs/scalar.js"');
      const script = await app.request("/docs/scalar.js");
      expect(script.status).toBe(200);
      expect(await script.text()).toBe("/* the built copy */");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("answers a 503 problem saying the bundle is not installed — never a redirect to a CDN", async () => {
    const app = appWith([pathToFileURL(join(tmpdir(), `missing-${crypto.randomUUID()}.js`))]);
    for (const path of ["/docs", "/docs/scalar.js"]) {
      const res = await app.request(path);
      expect(res.headers.get("location"), path).toBeNull();
      const body = await expectProblem(res, 503, "service_unavailable");
      expect(body.detail).toMatch(/not installed.*npm run assets/);
    }
    expect((await app.request("/openapi.json")).status).toBe(200);
  });

  it("finds Scalar's bundle in node_modules in this (development) install", () => {
    expect(SCALAR_BUNDLE.protocol).toBe("file:");
  });
});
