/**
 * A client of one financial entity (the API calls it a "user"), as the
 * conversion returns it. Field names follow the domain; the wire names are the
 * HTTP layer's business.
 */
export interface Client {
  id: string;
  financialEntityId: string;
  ecosystemId: string;
  image: string | null;
  name: string | null;
  lastname: string | null;
  businessName: string | null;
  quota: number | null;
  status: string;
  phone: string | null;
  email: string | null;
  nit: string | null;
  address: string | null;
  history: unknown[];
  score: number | null;
  paymentData: Record<string, unknown>;
  apnToken: string;
  businessEntity: string | null;
  additionalData: Record<string, unknown>;
}

/** The status every client starts with. */
export const NEW_CLIENT_STATUS = "active";

/** The status a lead takes once it has become a client. */
export const CONVERTED_LEAD_STATUS = "converted";
