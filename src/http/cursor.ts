import type { PagePosition } from "../domain/lists";

// A page cursor is opaque to callers: base64url of the JSON pair [created_at, id] of the last row listed.

const toBase64Url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");

/**
 * The cursor a page hands out as `next_after`.
 *
 * @example
 * encodeCursor({ createdAt: "2026-11-02T14:05:09.120Z", id }) // → "WyIyMDI2LTEx…"
 */
export function encodeCursor(position: PagePosition): string {
  return toBase64Url(new TextEncoder().encode(JSON.stringify([position.createdAt, position.id])));
}

/**
 * The position a cursor names; null for anything this service did not hand out
 * (not base64url, not the JSON pair of two short strings).
 *
 * @example
 * decodeCursor(encodeCursor(position)) // → position
 * decodeCursor("x") // → null
 */
export function decodeCursor(cursor: string): PagePosition | null {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) return null;
  try {
    const binary = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
    const text = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (ch) => ch.charCodeAt(0)));
    const value: unknown = JSON.parse(text);
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [createdAt, id] = value;
    if (typeof createdAt !== "string" || typeof id !== "string" || createdAt.length > 100 || id.length > 100)
      return null;
    return { createdAt, id };
  } catch {
    return null;
  }
}
