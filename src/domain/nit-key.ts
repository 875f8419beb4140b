/**
 * NIT identity (spec: nit.md). A Colombian NIT is written many ways — with or
 * without its check digit (DV), with dots, spaces, apostrophes, a `NIT` word —
 * and all of them are one party; anything else is compared by the generic
 * rule. Every path that writes a NIT stores {@link nitKey} beside it, and the
 * database compares the stored keys and never computes one.
 */

/** The DIAN's weights, applied to the base number's digits from right to left. */
const WEIGHTS = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71] as const;

/** A base number has at most 15 digits (as many as there are weights). */
export const NIT_BASE_MAX_DIGITS = WEIGHTS.length;

/**
 * The version of the rule {@link nitKey} implements. Stored keys computed by
 * an older version are recomputed by `npm run db:migrate` (src/db/nit-keys.ts);
 * raise it whenever a change to this file changes any key.
 */
export const NIT_KEY_RULE_VERSION = 2;

/**
 * The DIAN check digit (dígito de verificación) of a base number: modulo 11
 * of the weighted sum, `r` when it is 0 or 1, else `11 − r`.
 *
 * @example
 * nitCheckDigit("900123456") // 8
 * nitCheckDigit("80123456")  // 4
 */
export function nitCheckDigit(base: string): number {
  if (!/^[0-9]+$/.test(base) || base.replace(/^0+/, "").length > NIT_BASE_MAX_DIGITS) {
    throw new RangeError(`a NIT base number is 1 to ${NIT_BASE_MAX_DIGITS} decimal digits`);
  }
  let sum = 0;
  for (let i = 0; i < base.length && i < WEIGHTS.length; i++) {
    sum += Number(base[base.length - 1 - i]) * WEIGHTS[i]!;
  }
  const r = sum % 11;
  return r <= 1 ? r : 11 - r;
}

/** A NIT written the Colombian way: its base number (no leading zeros) and the DV, when one was written. */
export interface ColombianNit {
  base: string;
  checkDigit: number | null;
}

// After NFKC. The word may be run into the number (`NIT900…`) but not into another word (`NITRO`).
const NIT_WORD = /^(?:n\.i\.t|nit)(?!\p{L})[\s.:#]*(?:(?:no|n°)(?!\p{L})[\s.:#]*)?/iu;
// Group separators: dots, commas, any space, apostrophes (`´` folds under NFKC to a space and U+0301).
const SEPARATOR = "[.,'\\u2018\\u2019\\u02bc`\\u0301\\s]";
const DASH = "[-\\u2010-\\u2015\\u2212]";
const COLOMBIAN = new RegExp(`^([0-9]+(?:${SEPARATOR}+[0-9]+)*)(?:\\s*${DASH}\\s*([0-9]))?$`, "u");

/**
 * Reads a written NIT the Colombian way, or says it is not Colombian-shaped
 * (`null`): NFKC, trim, a leading `NIT` word dropped, then digits grouped by
 * separators, optionally followed by one DV after a dash. The DV is only ever
 * taken from after a dash: `9001234568` is a ten-digit number, not 900123456
 * with its DV, because a ten-digit cédula cannot be told from it.
 *
 * @example
 * readColombianNit("NIT: 900.123.456-8") // { base: "900123456", checkDigit: 8 }
 * readColombianNit("9001234568")         // { base: "9001234568", checkDigit: null }
 * readColombianNit("CC 900123456")       // null
 */
export function readColombianNit(nit: string | null | undefined): ColombianNit | null {
  if (nit == null) return null;
  const written = nit.normalize("NFKC").trim().replace(NIT_WORD, "");
  const match = COLOMBIAN.exec(written);
  if (match === null) return null;
  const base = match[1]!.replace(/[^0-9]/g, "").replace(/^0+/, "");
  if (base === "" || base.length > NIT_BASE_MAX_DIGITS) return null;
  return { base, checkDigit: match[2] === undefined ? null : Number(match[2]) };
}

/**
 * The generic key, for what is not a Colombian NIT: Unicode NFKC, then every
 * character that is not a letter or a decimal digit removed, then upper-cased.
 * NFKC first, so full-width digits, no-break spaces and compatibility forms
 * fold before the filter.
 */
function genericNitKey(nit: string): string {
  return nit
    .normalize("NFKC")
    .replace(/[^\p{L}\p{Nd}]/gu, "")
    .toUpperCase();
}

/**
 * The key two NITs are compared by: a Colombian-shaped NIT's base number
 * (without leading zeros and without its DV, right or wrong), else the
 * generic key of the whole text. An empty key conflicts with nothing.
 *
 * @example
 * nitKey("900.123.456-8")           // "900123456"
 * nitKey("NIT 900 123 456 − 8")     // "900123456"
 * nitKey("９００.１２３.４５６−８")   // "900123456"
 * nitKey("9001234568")              // "9001234568"
 * nitKey("CC 900123456")            // "CC900123456"
 * nitKey("ñab.1")                   // "ÑAB1"
 */
export function nitKey(nit: string | null | undefined): string {
  if (nit == null) return "";
  return readColombianNit(nit)?.base ?? genericNitKey(nit);
}

/** A NIT written with a DV that is not its base number's. */
export interface NitCheckDigitProblem {
  base: string;
  given: number;
  expected: number;
}

/**
 * The wrong DV of a NIT coming in (lead intake, the seed loader), or `null`
 * when it is right, absent, or the NIT is not Colombian-shaped. Stored data
 * is never refused for it: its key is the base number all the same.
 *
 * @example
 * nitCheckDigitProblem("900.123.456-7") // { base: "900123456", given: 7, expected: 8 }
 * nitCheckDigitProblem("900.123.456-8") // null
 * nitCheckDigitProblem("900123456")     // null
 */
export function nitCheckDigitProblem(nit: string | null | undefined): NitCheckDigitProblem | null {
  const read = readColombianNit(nit);
  if (read === null || read.checkDigit === null) return null;
  const expected = nitCheckDigit(read.base);
  return expected === read.checkDigit ? null : { base: read.base, given: read.checkDigit, expected };
}

/**
 * The message for a wrong DV, the same wherever a NIT comes in.
 *
 * @example
 * nitCheckDigitMessage({ base: "900123456", given: 7, expected: 8 })
 * // "the check digit of 900123456 is 8, not 7"
 */
export function nitCheckDigitMessage({ base, given, expected }: NitCheckDigitProblem): string {
  return `the check digit of ${base} is ${expected}, not ${given}`;
}
