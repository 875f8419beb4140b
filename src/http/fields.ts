import * as z from "zod/mini";

// Request body members that more than one route validates, written once.

/**
 * A UUID member of a body, lower-cased: ids are compared in lowercase, whatever case the caller used.
 *
 * @example
 * z.object({ lead_id: uuidField("lead_id") })
 */
export const uuidField = (field: string) =>
  z.pipe(
    z
      .string({
        error: (issue) => (issue.input === undefined ? `${field} is required` : `${field} must be a string`),
      })
      .check(z.guid({ error: `${field} must be a UUID` })),
    // Ids are compared in lowercase, whatever case the caller used.
    z.transform((value: string) => value.toLowerCase()),
  );

/** `on_existing_client`: refuse a lead whose NIT the entity already has as a client (default), or link it into that client. */
export const onExistingClientField = z.optional(
  z.enum(["reject", "link"], { error: 'on_existing_client must be "reject" or "link"' }),
);
