import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "./types";

/**
 * Every problem the API answers with: its stable `code`, HTTP status and title.
 * The one place where a code meets its status.
 */
export const PROBLEMS = {
  validation_error: { status: 400, title: "The request is not valid" },
  unauthorized: { status: 401, title: "Authentication required" },
  forbidden: { status: 403, title: "Not allowed for this financial entity" },
  insufficient_scope: { status: 403, title: "The token lacks the required scope" },
  financial_entity_suspended: { status: 403, title: "The financial entity is suspended" },
  financial_entity_not_found: { status: 404, title: "Financial entity not found" },
  lead_not_found: { status: 404, title: "Lead not found" },
  api_key_not_found: { status: 404, title: "Integration key not found" },
  user_not_found: { status: 404, title: "User not found" },
  not_found: { status: 404, title: "Not found" },
  webhook_endpoint_not_found: { status: 404, title: "Webhook endpoint not found" },
  event_not_found: { status: 404, title: "Event not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  lead_assigned_to_other_entity: { status: 409, title: "The lead is assigned to another financial entity" },
  lead_already_converted: { status: 409, title: "The lead was already converted" },
  client_already_exists: { status: 409, title: "A client with the same NIT already exists" },
  limit_reached: { status: 409, title: "A limit of the financial entity is reached" },
  external_id_conflict: { status: 409, title: "The external id names another lead request" },
  lead_already_exists: { status: 409, title: "A lead with the same NIT already exists" },
  lead_not_assigned: { status: 409, title: "The lead is not assigned to the financial entity" },
  precondition_failed: { status: 412, title: "The lead changed since the given ETag" },
  payload_too_large: { status: 413, title: "The request body is too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  rate_limited: { status: 429, title: "Too many requests" },
  internal_error: { status: 500, title: "Internal error" },
  service_unavailable: { status: 503, title: "Service unavailable" },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string }>;

export type ProblemCode = keyof typeof PROBLEMS;

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export interface ValidationIssue {
  path: string;
  message: string;
}

/** Members a problem may carry beyond the standard ones. */
export interface ProblemExtensions {
  errors?: ValidationIssue[];
  existing_user_id?: string;
  existing_lead_id?: string;
}

export interface ProblemOptions {
  extensions?: ProblemExtensions;
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * The API's one error: thrown anywhere below the app, answered by its
 * `onError` as an RFC 9457 problem.
 *
 * @example
 * throw new ApiError("lead_not_found", "No lead with this id exists in the entity's ecosystem.");
 */
export class ApiError extends Error {
  override name = "ApiError";
  readonly extensions: ProblemExtensions | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    options: ProblemOptions = {},
  ) {
    super(detail, { cause: options.cause });
    this.extensions = options.extensions;
    this.headers = options.headers;
  }

  get status(): ContentfulStatusCode {
    return PROBLEMS[this.code].status;
  }
}

/** The problem body, members in the documented order. */
export function problemBody(error: ApiError, requestId: string) {
  const { status, title } = PROBLEMS[error.code];
  return {
    type: `/problems/${error.code}`,
    title,
    status,
    detail: error.detail,
    code: error.code,
    request_id: requestId,
    ...error.extensions,
  };
}

/** Answers with the problem for `error`, keeping headers already set on the context. */
export function problemResponse(c: Context<AppEnv>, error: ApiError): Response {
  c.set("outcome", error.code);
  const body = problemBody(error, c.get("requestId") ?? "");
  return c.body(JSON.stringify(body), error.status, {
    ...error.headers,
    "Content-Type": PROBLEM_CONTENT_TYPE,
  });
}
