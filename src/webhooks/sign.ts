import { decodeBase64, encodeBase64 } from "hono/utils/encode";
/** Standard Webhooks' secret prefix. */
export const SECRET_PREFIX = "whsec_";

const encoder = new TextEncoder();

/** A new endpoint secret: `whsec_` and the base64 of 32 random bytes. */
export function generateSecret(): string {
  return SECRET_PREFIX + encodeBase64(crypto.getRandomValues(new Uint8Array(32)).buffer);
}

async function sign(secret: string, content: string): Promise<string> {
  const raw = decodeBase64(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret);
  const key = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return encodeBase64(await crypto.subtle.sign("HMAC", key, encoder.encode(content)));
}

/**
 * The `webhook-signature` header of Standard Webhooks: `v1,<base64 HMAC-SHA256>`
 * of `{id}.{timestamp}.{body}` for each secret, space-separated (two during a rotation).
 *
 * @example
 * const header = await signatureHeader([secret], eventId, Math.floor(Date.now() / 1000), body);
 */
export async function signatureHeader(
  secrets: readonly string[],
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const content = `${id}.${timestamp}.${body}`;
  const signatures = await Promise.all(secrets.map(async (secret) => `v1,${await sign(secret, content)}`));
  return signatures.join(" ");
}
