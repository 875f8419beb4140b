/** A lead was created through the API (`POST /leads`, `POST /leads/bulk`). */
export const LEAD_CREATED = "lead.created";

/** A lead was changed (`PATCH /leads/{lead_id}`); `data.changed` names the fields. */
export const LEAD_UPDATED = "lead.updated";

/** The `lead.*` event types, announced through the outbox beside `lead.converted`. */
export const LEAD_EVENT_TYPES = [LEAD_CREATED, LEAD_UPDATED] as const;
