/** The one event type there is today: a lead became a client (or was linked into one). */
export const LEAD_CONVERTED = "lead.converted";

/** Every event type an endpoint may subscribe to. */
export const EVENT_TYPES = [LEAD_CONVERTED] as const;
