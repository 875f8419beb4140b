/**
 * The key two NITs are compared by: Unicode NFKC, then every character that
 * is not a letter or a decimal digit removed, then upper-cased. NFKC first, so
 * full-width digits, no-break spaces and compatibility forms fold before the
 * filter; the filter drops every separator (spaces of any kind, dots, dashes
 * of any kind, zero-width characters). An empty key conflicts with nothing.
 *
 * The one rule for every path that writes a NIT (seed loader, migrations;
 * the conversion copies the lead's stored key): the database compares the
 * stored keys and never computes one.
 *
 * @example
 * nitKey("900.123.456-7")         // "9001234567"
 * nitKey("９００ １２３–456\u00a07") // "9001234567"
 * nitKey("ñab.1")                 // "ÑAB1"
 */
export function nitKey(nit: string | null | undefined): string {
  if (nit == null) return "";
  return nit
    .normalize("NFKC")
    .replace(/[^\p{L}\p{Nd}]/gu, "")
    .toUpperCase();
}
