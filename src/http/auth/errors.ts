/** A credential that must not be accepted; the message is safe to show the caller. */
export class InvalidTokenError extends Error {
  override name = "InvalidTokenError";
}
