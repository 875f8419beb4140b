import { Hono } from "hono/tiny";
import { describe, expect, it } from "vitest";
import { errorHandler } from "../../src/http/error-handler";
import { requestId } from "../../src/http/request-id";
import type { AppEnv } from "../../src/http/types";
import { jsonBodyLimit } from "../../src/http/validation";

const LIMIT = 64;
const quiet = { info: () => {}, error: () => {} };

function limitedApp() {
  const app = new Hono<AppEnv>();
  app.use(requestId());
  app.onError(errorHandler(quiet));
  app.post("/echo", jsonBodyLimit(LIMIT), async (c) => c.text(await c.req.text()));
  app.get("/echo", jsonBodyLimit(LIMIT), (c) => c.text("no body"));
  return app;
}

/** A body sent in chunks, without Content-Length (as `Transfer-Encoding: chunked` arrives). */
function streamed(text: string): RequestInit {
  const bytes = new TextEncoder().encode(text);
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 16) controller.enqueue(bytes.slice(i, i + 16));
      controller.close();
    },
  });
  return { method: "POST", body, duplex: "half" } as RequestInit;
}

describe("jsonBodyLimit", () => {
  it("answers 413 payload_too_large for a declared length over the limit, without reading the body", async () => {
    const res = await limitedApp().request("/echo", {
      method: "POST",
      headers: { "Content-Length": String(LIMIT + 1) },
      body: "x".repeat(LIMIT + 1),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: "payload_too_large" });
  });

  it("lets a body of exactly the limit through, readable by the handler", async () => {
    const body = "y".repeat(LIMIT);
    const res = await limitedApp().request("/echo", {
      method: "POST",
      headers: { "Content-Length": String(LIMIT) },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(body);
  });

  it("counts a streamed body with no declared length, and answers 413 once it passes the limit", async () => {
    const res = await limitedApp().request("/echo", streamed("z".repeat(LIMIT + 1)));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: "payload_too_large" });
  });

  it("hands a streamed body within the limit to the handler whole", async () => {
    const body = "w".repeat(LIMIT);
    const res = await limitedApp().request("/echo", streamed(body));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(body);
  });

  it("lets a GET through whatever Content-Length it claims: it carries no body", async () => {
    const res = await limitedApp().request("/echo", { headers: { "Content-Length": String(LIMIT * 10) } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("no body");
  });
});
