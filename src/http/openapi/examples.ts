// The ids and bodies the document's examples show, shared by the routes that answer them.

export const EXAMPLE_LEAD = "9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c01";
export const EXAMPLE_ENTITY = "5f8e0c1d-2b3a-4c5d-8e9f-a1b2c3d4e501";
export const EXAMPLE_EXISTING_CLIENT = "c11e7a00-1b2c-4d3e-8f40-5a6b7c8d9e01";
export const EXAMPLE_ENDPOINT = "7d2f5a10-3c4b-4e8a-9b1c-2d3e4f5a6b70";

/** A client (the API's user), as the conversion and `GET /users/{user_id}` answer it. */
export const EXAMPLE_USER = {
  _id: "99437d58-eb66-4906-8156-3d87fc3dd75e",
  image: null,
  name: "Laura",
  lastname: "Gómez",
  business_name: "Panadería La Espiga S.A.S.",
  quota: 15000000,
  status: "active",
  phone: "+57 300 555 0101",
  email: "laura.gomez@example.com",
  nit: "901.234.567-7",
  address: "Calle 10 # 43-12, Medellín",
  history: [],
  score: 742,
  payment_data: { bank: "Bancolombia" },
  apn_token: "",
  ecosystem: "0b7c2a52-6f1e-4d7a-9a57-3f0c2d1e8a01",
  business_entity: "S.A.S.",
  additional_data: {},
};
