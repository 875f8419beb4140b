import { createHash, timingSafeEqual } from "node:crypto";

// The scheme is case-insensitive (RFC 9110); the token is everything after the spaces.
const BEARER_CREDENTIALS = /^Bearer +(\S+)$/i;

/**
 * True when an `Authorization` header carries exactly the expected bearer token.
 *
 * @example
 * hasBearerToken("Bearer s3cret", "s3cret"); // true
 * hasBearerToken(undefined, "s3cret"); // false
 */
export function hasBearerToken(header: string | undefined, expected: string): boolean {
  const token = header === undefined ? undefined : BEARER_CREDENTIALS.exec(header)?.[1];
  if (token === undefined) return false;
  // Hashing first gives equal lengths, which timingSafeEqual needs, without leaking the expected length.
  return timingSafeEqual(sha256(token), sha256(expected));
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
