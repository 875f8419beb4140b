import { decodeBase64, encodeBase64 } from "hono/utils/encode";

const SEALED_PREFIX = "aesgcm:";
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** How endpoint secrets are kept in the database. */
export interface SecretBox {
  seal(secret: string, endpointId: string): Promise<string>;
  open(stored: string, endpointId: string): Promise<string>;
}

/**
 * Seals endpoint secrets with AES-256-GCM under `WEBHOOK_SECRET_KEY` (base64 of
 * 32 bytes), bound to the endpoint id so a sealed value cannot be moved to
 * another row. Without a key, secrets are stored as they are; sealed values
 * then cannot be opened, and a key added later seals what is written next.
 *
 * @example
 * const box = createSecretBox(config.webhookSecretKey);
 * const stored = await box.seal(secret, endpointId);
 */
export function createSecretBox(keyBase64: string | undefined): SecretBox {
  const key = keyBase64
    ? crypto.subtle.importKey("raw", decodeBase64(keyBase64), { name: "AES-GCM" }, false, ["encrypt", "decrypt"])
    : undefined;
  return {
    async seal(secret, endpointId) {
      if (!key) return secret;
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: encoder.encode(endpointId) },
        await key,
        encoder.encode(secret),
      );
      return `${SEALED_PREFIX}${encodeBase64(iv.buffer)}.${encodeBase64(sealed)}`;
    },
    async open(stored, endpointId) {
      if (!stored.startsWith(SEALED_PREFIX)) return stored;
      if (!key) throw new Error("a sealed webhook secret needs WEBHOOK_SECRET_KEY");
      const [iv, data] = stored.slice(SEALED_PREFIX.length).split(".");
      const opened = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: decodeBase64(iv ?? ""), additionalData: encoder.encode(endpointId) },
        await key,
        decodeBase64(data ?? ""),
      );
      return decoder.decode(opened);
    },
  };
}
