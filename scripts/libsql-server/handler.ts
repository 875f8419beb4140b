import type { IncomingMessage, ServerResponse } from "node:http";
import { handleAdmin } from "./admin";
import { hasBearerToken } from "./auth";
import { describeIssues, HranaError, toProtoError } from "./errors";
import { readJson, sendError, sendJson } from "./http-io";
import { type Instruments, preciseDelay } from "./instruments";
import { runPipeline } from "./pipeline";
import { PipelineRequestBody, type PipelineResponseBody } from "./protocol";
import type { StreamRegistry } from "./streams";

export interface HandlerDeps {
  instruments: Instruments;
  streams: StreamRegistry;
  authToken: string | undefined;
  admin: boolean;
}

/**
 * The HTTP side of the server: `POST /v2/pipeline`, `GET /v2`, `GET /health`,
 * the admin routes when enabled, and 404 for everything else — including
 * `/v3` and `/v3-protobuf`, so clients that probe for version 3 settle on version 2.
 *
 * @example
 * const server = createServer(createRequestHandler({ instruments, streams, authToken: undefined, admin: false }));
 */
export function createRequestHandler(deps: HandlerDeps) {
  const { instruments, streams, authToken, admin } = deps;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    if (req.method === "GET" && path === "/health") return sendJson(res, 200, { status: "ok" });

    const isPipeline = req.method === "POST" && path === "/v2/pipeline";
    if (isPipeline) instruments.countPipelineRequest();
    const isAdmin = admin && path.startsWith("/__admin/");
    if (!isAdmin && instruments.latencyMs > 0) await preciseDelay(instruments.latencyMs);

    if (authToken !== undefined && !hasBearerToken(req.headers.authorization, authToken)) {
      res.setHeader("www-authenticate", "Bearer");
      const message = "This server needs the header `Authorization: Bearer <token>` with its auth token";
      return sendError(res, 401, { message, code: "UNAUTHORIZED" });
    }
    if (isAdmin) return handleAdmin(req, res, path, { instruments, streams });
    if (req.method === "GET" && path === "/v2") return sendJson(res, 200, { version: 2 });
    if (!isPipeline) return sendError(res, 404, { message: `No route ${req.method} ${path}`, code: "NOT_FOUND" });

    const failure = instruments.takeFailure();
    if (failure === "500" || failure === "503") {
      return sendError(res, Number(failure), {
        message: `Injected failure (HTTP ${failure})`,
        code: "INJECTED_FAILURE",
      });
    }
    if (failure === "drop") return void req.socket.destroy();
    const body = await answerPipeline(req, streams);
    if (failure === "drop-after") return void req.socket.destroy();
    sendJson(res, 200, body);
  }

  return function handle(req: IncomingMessage, res: ServerResponse): void {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent || res.destroyed) return;
      sendError(res, error instanceof HranaError ? error.status : 500, toProtoError(error));
    });
  };
}

async function answerPipeline(req: IncomingMessage, streams: StreamRegistry): Promise<PipelineResponseBody> {
  const parsed = PipelineRequestBody.safeParse(await readJson(req));
  if (!parsed.success) {
    throw new HranaError(`Invalid pipeline body (${describeIssues(parsed.error)})`, "PROTOCOL_ERROR");
  }
  const stream = streams.checkOut(parsed.data.baton);
  const results = await runPipeline(stream, parsed.data.requests);
  return { baton: streams.checkIn(stream), base_url: null, results };
}
