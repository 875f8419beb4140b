import { type SQL, type SQLWrapper, sql } from "drizzle-orm";

// Rows written by other tools may hold anything: what is read back is always
// what the documented body promises. CASE is evaluated lazily, so json_type
// never sees text that is not JSON.

/** The stored value when it is a JSON object, else NULL. */
export const jsonObjectOrNull = (column: SQLWrapper): SQL<string | null> =>
  sql`case when json_valid(${column}) then case when json_type(${column}) = 'object' then ${column} end end`;

/** The stored value when it is a JSON array, else NULL. */
export const jsonArrayOrNull = (column: SQLWrapper): SQL<string | null> =>
  sql`case when json_valid(${column}) then case when json_type(${column}) = 'array' then ${column} end end`;

/** The stored value when it is a JSON object, else `{}`. */
export const jsonObjectOrEmpty = (column: SQLWrapper): SQL<string> => sql`coalesce(${jsonObjectOrNull(column)}, '{}')`;

/** The stored value when it is a JSON array, else `[]`. */
export const jsonArrayOrEmpty = (column: SQLWrapper): SQL<string> => sql`coalesce(${jsonArrayOrNull(column)}, '[]')`;

/** The stored value when it is a number, else NULL. */
export const numberOrNull = (column: SQLWrapper): SQL<number | null> =>
  sql`case when typeof(${column}) in ('integer', 'real') then ${column} end`;

/** A stored time as ISO 8601 UTC with milliseconds; a value SQLite cannot read as a time is returned as stored. */
export const isoTime = (column: SQLWrapper): SQL<string> =>
  sql`coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', ${column}), ${column})`;

/** A stored value did not decode. Carries no value and no cause: they would hold stored data. */
export class StoredValueError extends Error {
  override name = "StoredValueError";
}
