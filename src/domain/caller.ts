/**
 * A caller holding a verified token (a JWT). Everything about it is known
 * before the database: its entity, its `sub`, its scopes.
 */
export interface TokenCaller {
  kind: "jwt";
  financialEntityId: string;
  /** The token's `sub`, recorded in the audit trail. */
  subject: string;
  /** The token's scopes, or null when the token carries no `scope` claim. */
  scopes: readonly string[] | null;
}

/**
 * A caller holding an integration key. Its entity, scopes and validity live in
 * the database and are read inside the request's own batch, so none is known here.
 */
export interface KeyCaller {
  kind: "key";
  /** SHA-256 (hex) of the key text: how the database knows it. */
  keyHash: string;
  /** The key's display prefix, safe to log. */
  prefix: string;
}

/**
 * Who a request speaks for: taken from the verified credential, never from the
 * request body. The one identity type every layer passes on.
 *
 * @example
 * if (caller.kind === "key") lookUpInTheBatch(caller.keyHash); else use(caller.financialEntityId);
 */
export type Caller = TokenCaller | KeyCaller;

/**
 * A caller as one database batch acts for it: `at` is the request's instant,
 * against which the batch and the domain judge a key's expiry (a token ignores it).
 */
export interface Acting {
  caller: Caller;
  at: string;
}
