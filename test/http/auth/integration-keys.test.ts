import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  crc32,
  generateIntegrationKey,
  hashKey,
  keyChecksum,
  parseIntegrationKey,
} from "../../../src/http/auth/integration-keys";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

describe("integration key format", () => {
  it("CRC32 is the IEEE one (check value of 123456789)", () => {
    expect(crc32("123456789")).toBe(0xcbf43926);
    expect(crc32("")).toBe(0);
  });

  it("is lck_ + 43 base62 characters + _ + 6 base62 characters of checksum", async () => {
    const { key } = await generateIntegrationKey();
    expect(key).toMatch(/^lck_[0-9A-Za-z]{43}_[0-9A-Za-z]{6}$/);
    const random = key.slice(4, 47);
    expect(key.slice(48)).toBe(keyChecksum(random));
  });

  it("reads the 32 bytes as one big-endian number, left-padded with 0", async () => {
    expect((await generateIntegrationKey(new Uint8Array(32))).key.slice(4, 47)).toBe("0".repeat(43));
    const one = new Uint8Array(32);
    one[31] = 61;
    expect((await generateIntegrationKey(one)).key.slice(4, 47)).toBe(`${"0".repeat(42)}z`);
    one[31] = 62;
    expect((await generateIntegrationKey(one)).key.slice(4, 47)).toBe(`${"0".repeat(41)}10`);
    const max = (await generateIntegrationKey(new Uint8Array(32).fill(255))).key.slice(4, 47);
    let value = 0n;
    for (const c of max) value = value * 62n + BigInt(BASE62.indexOf(c));
    expect(value).toBe((1n << 256n) - 1n);
  });

  it("the checksum is CRC32 of the 43 ASCII characters in base62, padded to 6", () => {
    const random = "A".repeat(43);
    let n = BigInt(crc32(random));
    let text = "";
    while (n > 0n) {
      text = BASE62[Number(n % 62n)] + text;
      n /= 62n;
    }
    expect(keyChecksum(random)).toBe(text.padStart(6, "0"));
  });

  it("is stored as the SHA-256 hex of the whole text, shown by its first 8 characters after lck_", async () => {
    const { key, hash, prefix } = await generateIntegrationKey();
    expect(hash).toBe(createHash("sha256").update(key).digest("hex"));
    expect(await hashKey(key)).toBe(hash);
    expect(prefix).toBe(key.slice(4, 12));
  });

  it("parses what it generates, and nothing with a wrong checksum, shape or range", async () => {
    const { key, hash, prefix } = await generateIntegrationKey();
    expect(await parseIntegrationKey(key)).toEqual({ hash, prefix });
    const last = key.at(-1)!;
    expect(await parseIntegrationKey(key.slice(0, -1) + (last === "0" ? "1" : "0"))).toBeNull();
    expect(await parseIntegrationKey(key.slice(0, -1))).toBeNull();
    expect(await parseIntegrationKey(`${key}0`)).toBeNull();
    expect(await parseIntegrationKey(key.replace("lck_", "lcx_"))).toBeNull();
    expect(await parseIntegrationKey(key.replace("lck_", "LCK_"))).toBeNull();
    // 43 base62 digits can exceed 2^256: such a key cannot come from 32 bytes, even with a matching checksum.
    const tooBig = "z".repeat(43);
    expect(await parseIntegrationKey(`lck_${tooBig}_${keyChecksum(tooBig)}`)).toBeNull();
  });

  it("two keys are never alike", async () => {
    const keys = await Promise.all(Array.from({ length: 50 }, () => generateIntegrationKey()));
    expect(new Set(keys.map((k) => k.key)).size).toBe(50);
  });
});
