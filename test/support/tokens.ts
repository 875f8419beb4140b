import { sign } from "hono/jwt";

export const TEST_SECRET = "test-secret-that-is-at-least-32-bytes-long!";

const now = () => Math.floor(Date.now() / 1000);

/** A valid HS256 token acting for `financialEntityId`; `claims` override or add (`undefined` removes). */
export async function tokenFor(
  financialEntityId: string,
  claims: Record<string, unknown> = {},
  secret = TEST_SECRET,
): Promise<string> {
  const payload: Record<string, unknown> = {
    sub: financialEntityId,
    scope: "leads:convert",
    iat: now(),
    exp: now() + 300,
    ...claims,
  };
  for (const key of Object.keys(payload)) if (payload[key] === undefined) delete payload[key];
  return sign(payload, secret, "HS256");
}

export { now as nowSeconds };
