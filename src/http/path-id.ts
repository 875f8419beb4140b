import * as z from "zod/mini";

const UUID = z.guid();

/**
 * A UUID from the path, lower-cased; null when it is not one. A path id that
 * cannot exist is answered like a missing resource, with no database request.
 */
export function pathId(value: string): string | null {
  return UUID.safeParse(value).success ? value.toLowerCase() : null;
}
