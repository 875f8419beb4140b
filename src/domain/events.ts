/** A lead became a client (or was linked into one). */
export const LEAD_CONVERTED = "lead.converted";
/** A pool lead was taken by an entity: sent to that entity. */
export const LEAD_ASSIGNED = "lead.assigned";
/** A lead went back to the pool: sent to the entity that released it and to every subscribed entity of the ecosystem. */
export const LEAD_UNASSIGNED = "lead.unassigned";

/** A lead was created through the API (`POST /leads`, `POST /leads/bulk`): sent to the entity it is assigned to, or for a pool lead to every subscribed entity of the ecosystem. */
export const LEAD_CREATED = "lead.created";
/** A lead was changed (`PATCH /leads/{lead_id}`): sent to the entity it is assigned to; `data.changed` names the fields. */
export const LEAD_UPDATED = "lead.updated";

/** Every event type an endpoint may subscribe to. */
export const EVENT_TYPES = [LEAD_CONVERTED, LEAD_CREATED, LEAD_UPDATED, LEAD_ASSIGNED, LEAD_UNASSIGNED] as const;
/** What an endpoint created without `event_types` receives. */
export const DEFAULT_EVENT_TYPES = [LEAD_CONVERTED] as const;

/** At most this many webhook endpoints per financial entity (deleted ones do not count); the next is `limit_reached`. */
export const MAX_ENDPOINTS_PER_ENTITY = 20;
