import type * as z from "zod/mini";

// What a route module declares about itself for the OpenAPI document. Each
// module under src/http/routes/ exports one `…Contract()` beside its handler;
// src/http/openapi/document.ts only assembles them. A contract is a function so
// that nothing of it is built where it is not needed: the Worker serves the
// document written at build time, and its bundle drops every contract.

/** The groups /docs shows operations in, in this order; each has its chapter of the guide. */
export const TAGS = [
  "Conversions",
  "Leads",
  "Clients",
  "Webhooks",
  "Events",
  "Integration keys",
  "Operations",
] as const;

export type Tag = (typeof TAGS)[number];

/** An OpenAPI operation object, as it appears in the document (plain JSON but for the tag the assembler adds). */
export interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  security?: { bearerAuth: string[] }[];
  parameters?: object[];
  requestBody?: object;
  responses: Record<number, object>;
  /** Set by the assembler, from the contract's {@link RouteContract.tag}. */
  tags?: Tag[];
}

export type Method = "get" | "post" | "patch" | "delete";

/** One path of the document: its operations by method, and parameters they share. */
export type PathItem = { parameters?: object[] } & { [M in Method]?: Operation };

/** A component schema: the zod schema the service validates (or answers) with, and what it means. */
export interface SchemaComponent {
  schema: z.core.$ZodType;
  description?: string;
}

/**
 * A route module's part of the document.
 *
 * @example
 * export const healthContract = (): RouteContract => ({
 *   tag: "Operations",
 *   paths: { "/healthz": { get: { operationId: "health", summary: "Liveness", responses: { 200: ok } } } },
 *   schemas: { Health: { schema: healthSchema } },
 * });
 */
export interface RouteContract {
  /** The group every operation of the module is listed under. */
  tag: Tag;
  /** Path templates as OpenAPI writes them (`/users/{user_id}`, not Hono's `/users/:user_id`). */
  paths: Record<string, PathItem>;
  /** Component schemas the operations refer to with `ref(id)`, by id. */
  schemas?: Record<string, SchemaComponent>;
}
