import type { LeadPrecondition } from "../domain/change-lead";

/**
 * A lead's `ETag`: a strong validator made from its version, which every
 * change to the lead moves on (a trigger sees to it, whoever writes the row).
 *
 * @example
 * leadETag(3) // → '"v3"'
 */
export const leadETag = (version: number) => `"v${version}"`;

const ENTITY_TAG = /^\s*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*$/;

/** The entity tags of an `If-Match` / `If-None-Match` list; `*` as itself. Malformed members are dropped. */
function entityTags(header: string): "*" | { weak: boolean; opaque: string }[] {
  if (header.trim() === "*") return "*";
  return header.split(",").flatMap((member) => {
    const match = ENTITY_TAG.exec(member);
    return match ? [{ weak: match[1] !== undefined, opaque: match[2]! }] : [];
  });
}

const versionOf = (opaque: string) => (/^v[1-9]\d{0,15}$/.test(opaque) ? Number(opaque.slice(1)) : null);

/**
 * `If-Match` as the change's precondition (RFC 9110 §13.1.1, strong
 * comparison: a weak tag never matches); null when the header is absent. A
 * header that names no ETag of ours matches nothing.
 *
 * @example
 * ifMatchPrecondition('"v3", "v4"') // → { versions: [3, 4] }
 */
export function ifMatchPrecondition(header: string | undefined): LeadPrecondition | null {
  if (header === undefined) return null;
  const tags = entityTags(header);
  if (tags === "*") return "any";
  return { versions: tags.flatMap((tag) => (tag.weak ? [] : (versionOf(tag.opaque) ?? []))) };
}

/**
 * Whether `If-None-Match` names the lead's current ETag (weak comparison, RFC 9110 §13.1.2): then a GET answers 304.
 *
 * @example
 * noneMatchHits('W/"v3"', 3) // → true
 */
export function noneMatchHits(header: string | undefined, version: number): boolean {
  if (header === undefined) return false;
  const tags = entityTags(header);
  return tags === "*" || tags.some((tag) => versionOf(tag.opaque) === version);
}
