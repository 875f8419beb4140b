// Integration keys: `lck_` + base62(32 random bytes, 43 chars) + `_` + base62(CRC32 of those 43 chars, 6 chars).
// The checksum lets a malformed or mistyped key be refused without asking the database, and gives secret
// scanners a way to tell a real key from noise. Pure functions over WebCrypto: the same on Workers and Node.

export const KEY_PREFIX = "lck_";
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const RANDOM_BYTES = 32;
const RANDOM_CHARS = 43;
const CHECKSUM_CHARS = 6;
const DISPLAY_PREFIX_CHARS = 8;
const KEY_SHAPE = /^lck_([0-9A-Za-z]{43})_([0-9A-Za-z]{6})$/;
const MAX_RANDOM = 1n << 256n;

/** A well-formed key, as the database knows it: never the text itself. */
export interface ParsedIntegrationKey {
  /** SHA-256 (hex) of the whole key text: what is stored, and the key's rate-limit identity. */
  hash: string;
  /** The first 8 characters after `lck_`, shown in listings. */
  prefix: string;
}

function toBase62(value: bigint, width: number): string {
  let out = "";
  let rest = value;
  while (rest > 0n) {
    out = BASE62[Number(rest % 62n)] + out;
    rest /= 62n;
  }
  return out.padStart(width, "0");
}

function fromBase62(text: string): bigint {
  let value = 0n;
  for (const char of text) value = value * 62n + BigInt(BASE62.indexOf(char));
  return value;
}

// Built on the first key checked, not at start-up: the loop is 2,048 steps of interpreted code in every isolate's
// top-level evaluation, and an isolate that only ever sees JWTs never needs it (bench/RESULTS.md, "Start-up").
let crcTable: Uint32Array | undefined;

function buildCrcTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/**
 * CRC-32 (IEEE 802.3, the zlib/PNG one) of ASCII text.
 *
 * @example
 * crc32("123456789") // → 0xcbf43926
 */
export function crc32(text: string): number {
  const table = (crcTable ??= buildCrcTable());
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) crc = table[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The 6-character checksum of a key's 43-character random part. */
export function keyChecksum(randomPart: string): string {
  return toBase62(BigInt(crc32(randomPart)), CHECKSUM_CHARS);
}

/**
 * The display prefix of a key: the first 8 characters after `lck_`.
 *
 * @example
 * displayPrefix("lck_3kTm9…") // → "3kTm9…" (8 characters)
 */
export function displayPrefix(key: string): string {
  return key.slice(KEY_PREFIX.length, KEY_PREFIX.length + DISPLAY_PREFIX_CHARS);
}

/** SHA-256 of the key text, lowercase hex. */
export async function hashKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * A new key from 32 bytes of the platform's CSPRNG (or the bytes given, for tests).
 *
 * @example
 * const { key, hash, prefix } = await generateIntegrationKey();
 * // store hash and prefix; show key once
 */
export async function generateIntegrationKey(
  bytes: Uint8Array = crypto.getRandomValues(new Uint8Array(RANDOM_BYTES)),
): Promise<ParsedIntegrationKey & { key: string }> {
  if (bytes.length !== RANDOM_BYTES) throw new RangeError(`an integration key needs ${RANDOM_BYTES} random bytes`);
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  const randomPart = toBase62(value, RANDOM_CHARS);
  const key = `${KEY_PREFIX}${randomPart}_${keyChecksum(randomPart)}`;
  return { key, hash: await hashKey(key), prefix: displayPrefix(key) };
}

/** True when `token` claims to be an integration key (and must then be one). */
export function looksLikeIntegrationKey(token: string): boolean {
  return token.startsWith(KEY_PREFIX);
}

/**
 * Checks a key's shape and checksum — no database involved — and returns what
 * the database knows it by, or null when it cannot be a key we issued.
 *
 * @example
 * const parsed = await parseIntegrationKey(token);
 * if (parsed === null) throw unauthorized();
 */
export async function parseIntegrationKey(token: string): Promise<ParsedIntegrationKey | null> {
  const match = KEY_SHAPE.exec(token);
  if (!match) return null;
  const [, randomPart, checksum] = match;
  // 43 base62 digits reach a little past 2^256; those cannot come from 32 bytes.
  if (fromBase62(randomPart!) >= MAX_RANDOM) return null;
  if (keyChecksum(randomPart!) !== checksum) return null;
  return { hash: await hashKey(token), prefix: displayPrefix(token) };
}
