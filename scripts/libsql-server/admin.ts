import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { describeIssues, HranaError } from "./errors";
import { readJson, sendError, sendJson } from "./http-io";
import { FAILURE_MODES, type Instruments } from "./instruments";
import type { StreamRegistry } from "./streams";

const LatencyBody = z.object({ ms: z.number().nonnegative() });
const FailBody = z.object({ count: z.int().nonnegative(), mode: z.enum(FAILURE_MODES) });

export interface AdminDeps {
  instruments: Instruments;
  streams: StreamRegistry;
}

/**
 * The instruments over HTTP, for a server running in another process:
 * `GET /__admin/stats`, `POST /__admin/reset`, `POST /__admin/latency { ms }`,
 * `POST /__admin/fail { count, mode }`.
 *
 * @example
 * // curl -X POST localhost:8080/__admin/fail -d '{"count":1,"mode":"503"}'
 * await handleAdmin(req, res, "/__admin/fail", { instruments, streams });
 */
export async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  deps: AdminDeps,
): Promise<void> {
  const { instruments, streams } = deps;
  switch (`${req.method} ${path}`) {
    case "GET /__admin/stats":
      return sendJson(res, 200, { pipeline_requests: instruments.pipelineRequests, open_streams: streams.openStreams });
    case "POST /__admin/reset":
      instruments.resetStats();
      return noContent(res);
    case "POST /__admin/latency": {
      const { ms } = parseBody(LatencyBody, await readJson(req));
      instruments.setLatency(ms);
      return noContent(res);
    }
    case "POST /__admin/fail": {
      const { count, mode } = parseBody(FailBody, await readJson(req));
      instruments.failNext(count, mode);
      return noContent(res);
    }
    default:
      return sendError(res, 404, { message: `No admin route ${req.method} ${path}`, code: "NOT_FOUND" });
  }
}

function noContent(res: ServerResponse): void {
  res.writeHead(204).end();
}

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new HranaError(`Invalid body (${describeIssues(parsed.error)})`, "INVALID_BODY");
}
