import * as z from "zod/mini";
import {
  type LeadProfile,
  MAX_BULK_NEW_LEADS,
  MAX_LEAD_JSON_BYTES,
  type NewLead,
  type OpenLeadStatus,
} from "../domain/lead-intake";
import { nitCheckDigitMessage, nitCheckDigitProblem } from "../domain/nit-key";

/** A text field's longest value, in characters (code points). */
export const MAX_LEAD_TEXT_CHARS = 1_000;
/** How deeply a JSON member may nest: well inside what the database's JSON functions read. */
const MAX_JSON_DEPTH = 64;

export const OPEN_LEAD_STATUSES = [
  "new",
  "contacted",
  "qualified",
  "unqualified",
  "lost",
] as const satisfies readonly OpenLeadStatus[];

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const byteLength = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;

/** Whether a JSON value nests at most `MAX_JSON_DEPTH` deep and every string in it (keys too) is well-formed. */
function isSafeJson(value: unknown, depth = 0): boolean {
  if (typeof value === "string") return !LONE_SURROGATE.test(value);
  if (value === null || typeof value !== "object") return true;
  if (depth >= MAX_JSON_DEPTH) return false;
  if (Array.isArray(value)) return value.every((member) => isSafeJson(member, depth + 1));
  return Object.entries(value).every(([key, member]) => !LONE_SURROGATE.test(key) && isSafeJson(member, depth + 1));
}

/** What every text field must be: at most 1,000 characters, no NUL, well-formed Unicode. */
const textChecks = (field: string) => [
  z.refine<string>((value) => [...value].length <= MAX_LEAD_TEXT_CHARS, {
    error: `${field} must be at most ${MAX_LEAD_TEXT_CHARS} characters`,
  }),
  // The embedded engine reads text only up to a NUL: text holding one would come back cut short.
  z.refine<string>((value) => !value.includes("\u0000"), {
    error: `${field} must not contain a NUL character (U+0000)`,
  }),
  z.refine<string>((value) => !LONE_SURROGATE.test(value), {
    error: `${field} must be well-formed Unicode (no lone surrogate)`,
  }),
];

const textField = (field: string) =>
  z.nullable(z.string({ error: `${field} must be a string or null` }).check(...textChecks(field)));

/** A NIT: text, and when written with a DV after a dash, the right one (`nit.md`: a wrong DV is refused at intake). */
const nitField = z.nullable(
  z.string({ error: "nit must be a string or null" }).check(
    ...textChecks("nit"),
    z.superRefine((nit: string, ctx) => {
      const problem = nitCheckDigitProblem(nit);
      if (problem !== null) ctx.issues.push({ code: "custom", message: nitCheckDigitMessage(problem), input: nit });
    }),
  ),
);

/** A number, or a string that is one (as the loader takes them). */
const numberField = (field: string) =>
  z.nullable(
    z
      .pipe(
        z.union([z.number(), z.string().check(z.regex(/^-?\d{1,300}(\.\d{1,300})?$/))], {
          error: `${field} must be a number or null`,
        }),
        z.transform((value: number | string) => Number(value)),
      )
      .check(z.refine(Number.isFinite, { error: `${field} must be a finite number` })),
  );

/** What a JSON member over {@link MAX_LEAD_JSON_BYTES} is told: by a create, and by a merge patch that would grow it past. */
export const jsonTooLargeMessage = (field: string) => `${field} must be at most ${MAX_LEAD_JSON_BYTES} bytes as JSON`;

const jsonChecks = (field: string) => [
  z.refine((value: unknown) => byteLength(value) <= MAX_LEAD_JSON_BYTES, { error: jsonTooLargeMessage(field) }),
  z.refine((value: unknown) => isSafeJson(value), {
    error: `${field} must nest at most ${MAX_JSON_DEPTH} levels deep and hold only well-formed Unicode`,
  }),
];
const arrayField = (field: string) =>
  z.nullable(z.array(z.unknown(), { error: `${field} must be an array or null` }).check(...jsonChecks(field)));
const objectField = (field: string) =>
  z.nullable(
    z.record(z.string(), z.unknown(), { error: `${field} must be an object or null` }).check(...jsonChecks(field)),
  );

/** The profile fields, with the loader's types; each optional, null meaning none. */
const profileFields = {
  image: z.optional(textField("image")),
  name: z.optional(textField("name")),
  lastname: z.optional(textField("lastname")),
  business_name: z.optional(textField("business_name")),
  quota: z.optional(numberField("quota")),
  phone: z.optional(textField("phone")),
  email: z.optional(textField("email")),
  nit: z.optional(nitField),
  address: z.optional(textField("address")),
  history: z.optional(arrayField("history")),
  score: z.optional(numberField("score")),
  payment_data: z.optional(objectField("payment_data")),
  apn_token: z.optional(textField("apn_token")),
  business_entity: z.optional(textField("business_entity")),
  additional_data: z.optional(objectField("additional_data")),
};

const statusField = z.enum(OPEN_LEAD_STATUSES, {
  error: `status must be one of ${OPEN_LEAD_STATUSES.join(", ")}`,
});

/** The caller's own id for a lead: 1–128 visible ASCII characters. */
const externalIdField = z
  .string({ error: "external_id must be a string" })
  .check(z.regex(/^[\x21-\x7e]{1,128}$/, { error: "external_id must be 1–128 visible ASCII characters" }));

const entityIdField = z.nullable(
  z.pipe(
    z
      .string({ error: "financial_entity_id must be a UUID or null" })
      .check(z.guid({ error: "financial_entity_id must be a UUID or null" })),
    z.transform((value: string) => value.toLowerCase()),
  ),
);

/**
 * `POST /leads` (and each item of `POST /leads/bulk`): the profile, `status`
 * (default `new`, never `converted`), `external_id`, and `financial_entity_id`
 * (absent: the caller's entity; null: the pool). Other members are ignored.
 */
export const newLeadBody = z.object(
  {
    ...profileFields,
    status: z.optional(statusField),
    external_id: z.optional(externalIdField),
    financial_entity_id: z.optional(entityIdField),
  },
  { error: "The body must be a JSON object" },
);

export type NewLeadBody = z.output<typeof newLeadBody>;

const unchangeable = (field: string, why: string) =>
  z.optional(z.never({ error: `${field} cannot be changed: ${why}` }));

/**
 * `PATCH /leads/{lead_id}`: a JSON merge patch (RFC 7396) of the profile and
 * `status`. A member set to null clears the field; `payment_data` and
 * `additional_data` are merged member by member; other members replace the value.
 */
export const leadPatchBody = z.object(
  {
    ...profileFields,
    status: z.optional(statusField),
    id: unchangeable("id", "it names the lead"),
    external_id: unchangeable("external_id", "it is the creator's key for the lead"),
    financial_entity_id: unchangeable(
      "financial_entity_id",
      "use POST /leads/{lead_id}/assign or /unassign to change the assignment",
    ),
    ecosystem: unchangeable("ecosystem", "a lead stays in its ecosystem"),
    converted_user_id: unchangeable("converted_user_id", "only a conversion sets it"),
    converted_at: unchangeable("converted_at", "only a conversion sets it"),
    created_at: unchangeable("created_at", "it is when the lead was created"),
  },
  { error: "The body must be a JSON merge patch: a JSON object" },
);

export type LeadPatchBody = z.output<typeof leadPatchBody>;

/** The wire names of the profile fields, and the domain's. */
const PROFILE_NAMES = {
  image: "image",
  name: "name",
  lastname: "lastname",
  business_name: "businessName",
  quota: "quota",
  phone: "phone",
  email: "email",
  nit: "nit",
  address: "address",
  history: "history",
  score: "score",
  payment_data: "paymentData",
  apn_token: "apnToken",
  business_entity: "businessEntity",
  additional_data: "additionalData",
} as const satisfies Record<keyof typeof profileFields, keyof LeadProfile>;

/** The profile members a body carries, by their domain names; members it does not carry stay absent. */
export function toLeadProfile(body: Partial<Record<keyof typeof PROFILE_NAMES, unknown>>): LeadProfile {
  const profile: Record<string, unknown> = {};
  for (const [wire, name] of Object.entries(PROFILE_NAMES)) {
    const value = body[wire as keyof typeof PROFILE_NAMES];
    if (value !== undefined) profile[name] = value;
  }
  return profile as LeadProfile;
}

/** A validated create body as the domain's {@link NewLead}. */
export function toNewLead(body: NewLeadBody): NewLead {
  return {
    profile: toLeadProfile(body),
    status: body.status ?? "new",
    externalId: body.external_id ?? null,
    ...(body.financial_entity_id === undefined ? {} : { financialEntityId: body.financial_entity_id }),
  };
}

/** The largest `POST /leads/bulk` body: 500 leads of about 2 KiB each. */
export const MAX_BULK_LEADS_BODY_BYTES = 1024 * 1024;
/** The media types `PATCH /leads/{lead_id}` takes: a JSON merge patch (RFC 7396), or plain JSON read as one. */
export const LEAD_PATCH_MEDIA_TYPES = ["application/merge-patch+json", "application/json"] as const;

/** `POST /leads/bulk`: 1–500 leads, each read as `POST /leads` reads its body. */
export const newLeadsBody = z.object(
  {
    leads: z
      .array(z.unknown(), {
        error: (issue) => (issue.input === undefined ? "leads is required" : "leads must be an array"),
      })
      .check(
        z.minLength(1, { error: "leads must hold at least one lead" }),
        z.maxLength(MAX_BULK_NEW_LEADS, { error: `leads must hold at most ${MAX_BULK_NEW_LEADS} leads` }),
      ),
  },
  { error: "The body must be a JSON object" },
);
