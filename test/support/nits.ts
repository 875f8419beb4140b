import { nitCheckDigit } from "../../src/domain/nit-key";

/** A random nine-digit company NIT base number, as the DIAN issues them (8xx… or 9xx…). */
export const aNitBase = () => String(800_000_000 + Math.floor(Math.random() * 200_000_000));

/**
 * A NIT written as the DIAN prints it, dots and its right check digit.
 *
 * @example
 * writtenNit("900123456") // "900.123.456-8"
 */
export function writtenNit(base = aNitBase()): string {
  return `${base.replace(/\B(?=(\d{3})+(?!\d))/g, ".")}-${nitCheckDigit(base)}`;
}
