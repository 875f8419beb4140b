import { HranaError } from "./errors";
import type { Value } from "./protocol";

/** What the engine binds and returns; integers are always `bigint` because connections use safe-integer mode. */
export type SqlValue = null | bigint | number | string | Uint8Array;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Turns a Hrana value into one the engine can bind.
 *
 * @example
 * valueFromProto({ type: "integer", value: "9007199254740993" }); // 9007199254740993n
 */
export function valueFromProto(value: Value): SqlValue {
  switch (value.type) {
    case "null":
      return null;
    case "integer": {
      const integer = BigInt(value.value);
      if (integer < INT64_MIN || integer > INT64_MAX) {
        throw new HranaError(`Integer ${value.value} does not fit in 64 bits`, "VALUE_INVALID");
      }
      return integer;
    }
    case "float":
      return value.value;
    case "text":
      return value.value;
    case "blob":
      return Buffer.from(value.base64, "base64");
  }
}

/**
 * Turns a value the engine returned into a Hrana value.
 *
 * @example
 * valueToProto(42n); // { type: "integer", value: "42" }
 * valueToProto(0.5); // { type: "float", value: 0.5 }
 */
export function valueToProto(value: unknown): Value {
  if (value === null || value === undefined) return { type: "null" };
  if (typeof value === "bigint") return { type: "integer", value: value.toString() };
  // In safe-integer mode the engine hands out INTEGERs as bigint, so a number is always a REAL.
  if (typeof value === "number") return { type: "float", value };
  if (typeof value === "string") return { type: "text", value };
  if (value instanceof Uint8Array)
    return { type: "blob", base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") };
  throw new HranaError(`The engine returned a value of unexpected type ${typeof value}`, "INTERNAL_ERROR", 500);
}
