import { expect } from "vitest";
import { PROBLEM_KEYS } from "../support/requests";

/** Asserts the response is the API's problem for `code`, and returns its body. */
export async function expectProblem(res: Response, status: number, code: string) {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(body).slice(0, PROBLEM_KEYS.length)).toEqual(PROBLEM_KEYS);
  expect(body).toMatchObject({ type: `/problems/${code}`, status, code });
  expect(typeof body.title).toBe("string");
  expect(typeof body.detail).toBe("string");
  expect(body.request_id).toBe(res.headers.get("x-request-id"));
  expect(body.request_id).toMatch(/\S/);
  return body;
}
