import { randomUUID } from "node:crypto";
import type { Client, InValue } from "@libsql/client/web";
import { describe, expect, it } from "vitest";
import { useLibsqlServer } from "./fixture";

const fixture = useLibsqlServer();
const newClient = (url?: string) => fixture.newClient(url, { intMode: "bigint" });

/** Stores a value in a fresh untyped column (no affinity to convert it) and reads it back with its SQLite type. */
async function roundTrip(client: Client, value: InValue) {
  const table = `t_${randomUUID().replaceAll("-", "")}`;
  await client.execute(`CREATE TABLE ${table} (v)`);
  await client.execute({ sql: `INSERT INTO ${table} (v) VALUES (?)`, args: [value] });
  const result = await client.execute(`SELECT v, typeof(v) AS type FROM ${table}`);
  return { value: result.rows[0]?.v, type: result.rows[0]?.type };
}

describe("values", () => {
  it("keeps integers beyond 2^53 exact, up to the 64-bit limits", async () => {
    const client = newClient();

    for (const integer of [2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n), -42n, 0n]) {
      expect(await roundTrip(client, integer)).toEqual({ value: integer, type: "integer" });
    }
  });

  it("keeps floats as floats, whole-numbered ones included", async () => {
    const client = newClient();

    for (const float of [0.1, -1.5e300, 2.0, -0.25]) {
      expect(await roundTrip(client, float)).toEqual({ value: float, type: "real" });
    }
  });

  it("keeps text exactly, unicode and empty text included", async () => {
    const client = newClient();

    for (const text of ["héllo 🎉 中文", "", "line\nbreak \"quoted\" 'single'"]) {
      expect(await roundTrip(client, text)).toEqual({ value: text, type: "text" });
    }
  });

  it("keeps blobs byte for byte, empty ones included", async () => {
    const client = newClient();

    for (const bytes of [
      new Uint8Array([0, 1, 127, 128, 255]),
      new Uint8Array(3000).map((_, i) => i % 256),
      new Uint8Array(),
    ]) {
      const { value, type } = await roundTrip(client, bytes);
      expect(type).toBe("blob");
      expect(new Uint8Array(value as ArrayBuffer)).toEqual(bytes);
    }
  });

  it("keeps NULL", async () => {
    const client = newClient();

    expect(await roundTrip(client, null)).toEqual({ value: null, type: "null" });
  });

  it("receives booleans as the integers 1 and 0, as the client sends them", async () => {
    const client = newClient();

    expect(await roundTrip(client, true)).toEqual({ value: 1n, type: "integer" });
    expect(await roundTrip(client, false)).toEqual({ value: 0n, type: "integer" });
  });

  it("returns values computed by SQL with their own types", async () => {
    const client = newClient();

    const result = await client.execute(
      "SELECT 9223372036854775807 AS big, 1.5 AS float, x'00ff' AS blob, NULL AS empty",
    );

    const row = result.rows[0];
    expect(row?.big).toBe(9223372036854775807n);
    expect(row?.float).toBe(1.5);
    expect(new Uint8Array(row?.blob as ArrayBuffer)).toEqual(new Uint8Array([0, 255]));
    expect(row?.empty).toBeNull();
  });
});
