import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  nitCheckDigit,
  nitCheckDigitMessage,
  nitCheckDigitProblem,
  nitKey,
  readColombianNit,
} from "../../src/domain/nit-key";

/** A base number of 1 to 15 digits, without leading zeros. */
const base = fc.bigInt({ min: 1n, max: 999_999_999_999_999n }).map(String);

describe("the DIAN check digit", () => {
  it.each([
    ["890903938", 8],
    ["899999068", 1],
    ["900123456", 8],
    ["80123456", 4],
    ["860034313", 7],
  ])("of %s is %i", (base, dv) => {
    expect(nitCheckDigit(base)).toBe(dv);
  });

  it("is r when the weighted sum modulo 11 is 0 or 1, else 11 − r", () => {
    // 1 → 1·3 = 3 → 8; 4 → 4·3 = 12 ≡ 1 → 1; 11 → 1·3 + 1·7 = 10 → 1; 0 → 0.
    expect([nitCheckDigit("1"), nitCheckDigit("4"), nitCheckDigit("11"), nitCheckDigit("0")]).toEqual([8, 1, 1, 0]);
  });

  it("weighs up to fifteen digits, and leading zeros change nothing", () => {
    expect(nitCheckDigit("100000000000000")).toBe(11 - (71 % 11));
    expect(nitCheckDigit("000900123456")).toBe(8);
    expect(() => nitCheckDigit("1000000000000000")).toThrow(RangeError);
    expect(() => nitCheckDigit("90012345a")).toThrow(RangeError);
    expect(() => nitCheckDigit("")).toThrow(RangeError);
  });
});

describe("the key of a written NIT", () => {
  // Every example of nit.md, and the ways Colombian forms and tools write the same NIT.
  it.each([
    "900.123.456-8",
    "900123456-8",
    "900 123 456 - 8",
    "NIT: 900.123.456-8",
    "900.123.456",
    "900123456",
    "９００.１２３.４５６−８",
    "nit 900.123.456-8",
    "N.I.T. 900.123.456-8",
    "N.I.T 900123456",
    "NIT. 900123456",
    "NIT# 900123456-8",
    "NIT No. 900.123.456-8",
    "Nit Nº 900.123.456-8",
    "NIT:900123456",
    "NIT900123456",
    "  900,123,456-8  ",
    "900'123'456",
    "900’123’456-8",
    "900´123´456-8",
    "0900123456",
    "900\u00a0123\u00a0456\u00a0-\u00a08",
    "900\u202f123\u202f456\u20118",
    "900\u3000123\u3000456",
    ...["-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\uff0d"].map(
      (d) => `900123456${d}8`,
    ),
    // A wrong DV cannot hide a duplicate: the key is the base number all the same.
    "900.123.456-7",
  ])("%j is 900123456", (nit) => {
    expect(nitKey(nit)).toBe("900123456");
  });

  it.each([
    // Ten digits without a dash are ten digits: a cédula is never merged into a NIT with its DV.
    ["9001234568", "9001234568"],
    ["900.123.456.8", "9001234568"],
    // Only the NIT word is dropped; other documents' words stay.
    ["CC 900123456", "CC900123456"],
    ["CE 900123456", "CE900123456"],
    ["PP 900123456", "PP900123456"],
    ["NITRO 900123456", "NITRO900123456"],
    // Not Colombian-shaped: the generic key of the whole text.
    ["900-123-456-8", "9001234568"],
    ["900123456-8-8", "90012345688"],
    ["900123456-88", "90012345688"],
    ["NIT-900123456", "NIT900123456"],
    ["900/123/456", "900123456"],
    ["ÑAB.1", "ÑAB1"],
    ["ñab 1", "ÑAB1"],
    ["1234567890123456", "1234567890123456"],
    ["000", "000"],
  ])("%j has the key %j", (nit, key) => {
    expect(nitKey(nit)).toBe(key);
  });

  it("is empty for no NIT or one without letters and digits, which conflicts with nothing", () => {
    expect([nitKey(null), nitKey(undefined), nitKey(""), nitKey(" -- "), nitKey("\u200b")]).toEqual([
      "",
      "",
      "",
      "",
      "",
    ]);
  });

  it("reads the DV only from after a dash", () => {
    expect(readColombianNit("900.123.456-8")).toEqual({ base: "900123456", checkDigit: 8 });
    expect(readColombianNit("900123456 − 8")).toEqual({ base: "900123456", checkDigit: 8 });
    expect(readColombianNit("9001234568")).toEqual({ base: "9001234568", checkDigit: null });
    expect(readColombianNit("CC 900123456")).toBeNull();
    expect(readColombianNit(null)).toBeNull();
  });

  const separator = fc.constantFrom(".", ",", " ", "'", "’", "\u00a0", "\u202f", "\u3000", ". ");
  const dash = fc.constantFrom("-", "\u2010", "\u2013", "\u2014", "\u2212", " - ", "\u00a0-\u00a0");
  const prefix = fc.constantFrom("", "NIT ", "nit: ", "N.I.T. ", "NIT No. ", "NIT# ", "Nit. ");

  /** A base number as people write it: grouped by threes from the right, with one separator. */
  const grouped = (digits: string, sep: string) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
  const fullWidth = (text: string) => text.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)));

  it("is the base number for every way of writing a Colombian NIT, with its DV or without", () => {
    fc.assert(
      fc.property(
        base,
        separator,
        dash,
        prefix,
        fc.boolean(),
        fc.boolean(),
        fc.nat(3),
        (b, sep, d, p, withDv, wide, zeros) => {
          const number = "0".repeat(zeros) + grouped(b, sep);
          const written = `${p}${number}${withDv ? `${d}${nitCheckDigit(b)}` : ""}`;
          const nit = wide ? fullWidth(written) : written;
          expect(nitKey(nit)).toBe(b);
          expect(nitCheckDigitProblem(nit)).toBeNull();
        },
      ),
    );
  });

  it("never takes a digit written without a dash for a DV", () => {
    fc.assert(
      fc.property(base, fc.integer({ min: 0, max: 9 }), (b, digit) => {
        fc.pre(b.length < 15);
        expect(nitKey(`${b}${digit}`)).toBe(`${b}${digit}`);
        expect(nitKey(`${b}${digit}`)).not.toBe(nitKey(`${b}-${digit}`));
      }),
    );
  });
});

describe("a wrong check digit", () => {
  it("is reported with the base number, the digit written and the right one", () => {
    const problem = nitCheckDigitProblem("900.123.456-7");
    expect(problem).toEqual({ base: "900123456", given: 7, expected: 8 });
    expect(nitCheckDigitMessage(problem!)).toBe("the check digit of 900123456 is 8, not 7");
    expect(nitCheckDigitProblem("NIT 80.123.456-2")).toEqual({ base: "80123456", given: 2, expected: 4 });
  });

  it.each(["900.123.456-8", "900123456", "9001234567", "CC 900123456-7", "900-123-456-7", "ÑAB-1", "", null])(
    "is not reported for %j (right, absent, or not a Colombian NIT)",
    (nit) => {
      expect(nitCheckDigitProblem(nit)).toBeNull();
    },
  );

  it("is reported for every digit but the right one", () => {
    fc.assert(
      fc.property(base, fc.integer({ min: 0, max: 9 }), (b, digit) => {
        const expected = nitCheckDigit(b);
        const problem = nitCheckDigitProblem(`${b}-${digit}`);
        expect(problem).toEqual(digit === expected ? null : { base: b, given: digit, expected });
      }),
    );
  });
});
