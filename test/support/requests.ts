export const CONVERT_PATH = "/turn-lead-into-client";

/** A conversion request as an integrator would send it. */
export function conversionRequest(
  token: string | null,
  body: unknown,
  headers: Record<string, string> = {},
): RequestInit {
  return {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
}

export const PROBLEM_KEYS = ["type", "title", "status", "detail", "code", "request_id"];

export const USER_KEYS = [
  "_id",
  "image",
  "name",
  "lastname",
  "business_name",
  "quota",
  "status",
  "phone",
  "email",
  "nit",
  "address",
  "history",
  "score",
  "payment_data",
  "apn_token",
  "ecosystem",
  "business_entity",
  "additional_data",
];

/** The parsed JSON body, loosely typed for assertions. */
export const jsonOf = async (res: Response): Promise<any> => res.json();

/**
 * A request whose body the service should refuse by its size alone, sent so that no connection is shared: in
 * process through `fetch`; over HTTP on a socket of its own (closed after), headers first and the body only if
 * no answer came within `patienceMs`. A server that answers 413 from `Content-Length` and closes never sees the
 * megabyte — and the test client's pool never gets the connection it dropped.
 *
 * @example
 * await expectProblem(await sendOversized(target(), "/leads/bulk", { Authorization }, body), 413, "payload_too_large");
 */
export async function sendOversized(
  target: { url?: URL; fetch(path: string, init?: RequestInit): Promise<Response> },
  path: string,
  headers: Record<string, string>,
  body: string,
  patienceMs = 500,
): Promise<Response> {
  const all = { "Content-Type": "application/json", ...headers };
  if (target.url === undefined) return target.fetch(path, { method: "POST", headers: all, body });
  const { request } = await import("node:http");
  const bytes = Buffer.from(body);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(
      new URL(path, target.url),
      {
        method: "POST",
        agent: false,
        headers: { ...all, "Content-Length": String(bytes.byteLength), Connection: "close" },
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          req.destroy();
          const answerHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers))
            if (typeof value === "string") answerHeaders.set(name, value);
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0, headers: answerHeaders }));
        });
      },
    );
    // Once answered, the socket may be reset under the unsent body: that is the point, not a failure.
    req.on("error", (error) => {
      if (!answered) reject(error);
    });
    req.flushHeaders();
    setTimeout(() => {
      if (!answered) req.end(bytes);
    }, patienceMs).unref();
  });
}
