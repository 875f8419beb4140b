export const CONVERT_PATH = "/turn-lead-into-client";

/** A conversion request as an integrator would send it. */
export function conversionRequest(
  token: string | null,
  body: unknown,
  headers: Record<string, string> = {},
): RequestInit {
  return {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      ...(token === null ? {} : { Authorization: `Bearer ${token}` }),
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  };
}

export const PROBLEM_KEYS = ["type", "title", "status", "detail", "code", "request_id"];

export const USER_KEYS = [
  "_id",
  "image",
  "name",
  "lastname",
  "business_name",
  "quota",
  "status",
  "phone",
  "email",
  "nit",
  "address",
  "history",
  "score",
  "payment_data",
  "apn_token",
  "ecosystem",
  "business_entity",
  "additional_data",
];

/** The parsed JSON body, loosely typed for assertions. */
export const jsonOf = async (res: Response): Promise<any> => res.json();
