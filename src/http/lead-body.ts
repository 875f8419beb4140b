import type { LeadView } from "../domain/read-lead";

/** A lead as `GET /leads/{lead_id}` answers it: the 22 documented keys, in the documented order, every one present. */
export function toLeadBody(lead: LeadView) {
  return {
    id: lead.id,
    status: lead.status,
    ecosystem: lead.ecosystemId,
    financial_entity_id: lead.financialEntityId,
    converted_user_id: lead.convertedClientId,
    converted_at: lead.convertedAt,
    created_at: lead.createdAt,
    image: lead.image,
    name: lead.name,
    lastname: lead.lastname,
    business_name: lead.businessName,
    quota: lead.quota,
    phone: lead.phone,
    email: lead.email,
    nit: lead.nit,
    address: lead.address,
    history: lead.history,
    score: lead.score,
    payment_data: lead.paymentData,
    apn_token: lead.apnToken,
    business_entity: lead.businessEntity,
    additional_data: lead.additionalData,
  };
}

export type LeadBody = ReturnType<typeof toLeadBody>;
