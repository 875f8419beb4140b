import type { IncomingMessage, ServerResponse } from "node:http";
import { HranaError } from "./errors";
import type { ProtoError } from "./protocol";

const MAX_BODY_BYTES = 32 * 1024 * 1024;

/**
 * Reads and parses a JSON request body.
 *
 * @example
 * const body = await readJson(req); // throws HranaError (400/413) on bad input
 */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new HranaError(`The body is larger than ${MAX_BODY_BYTES} bytes`, "BODY_TOO_LARGE", 413);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new HranaError("The body is not valid JSON", "PROTOCOL_ERROR");
  }
}

/**
 * Answers with a JSON body.
 *
 * @example
 * sendJson(res, 200, { status: "ok" });
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  // Exactly "application/json": the client parses an error body only for that content type.
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Answers with the `{ message, code }` error body the libSQL client turns into a `LibsqlError`.
 *
 * @example
 * sendError(res, 401, { message: "A bearer token is required", code: "UNAUTHORIZED" });
 */
export function sendError(res: ServerResponse, status: number, error: ProtoError): void {
  sendJson(res, status, { message: error.message, code: error.code });
}
