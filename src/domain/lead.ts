import { CONVERTED_LEAD_STATUS } from "./client";

/**
 * Every status a lead may have. All but `converted` can be converted; a lead
 * is `converted` exactly when it has a client.
 */
export const LEAD_STATUSES = ["new", "contacted", "qualified", "unqualified", "lost", CONVERTED_LEAD_STATUS] as const;

export type LeadStatus = (typeof LEAD_STATUSES)[number];
