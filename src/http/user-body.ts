import type { Client } from "../domain/client";

/**
 * A client as the API's 200 body: the 18 documented keys, in the documented
 * order, every one present.
 */
export function toUserBody(client: Client) {
  return {
    _id: client.id,
    image: client.image,
    name: client.name,
    lastname: client.lastname,
    business_name: client.businessName,
    quota: client.quota,
    status: client.status,
    phone: client.phone,
    email: client.email,
    nit: client.nit,
    address: client.address,
    history: client.history,
    score: client.score,
    payment_data: client.paymentData,
    apn_token: client.apnToken,
    ecosystem: client.ecosystemId,
    business_entity: client.businessEntity,
    additional_data: client.additionalData,
  };
}

export type UserBody = ReturnType<typeof toUserBody>;
