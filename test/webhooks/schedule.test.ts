import { describe, expect, it } from "vitest";
import {
  DEFAULT_RETRY_SCHEDULE,
  DISABLE_AFTER_MS,
  decideNextAttempt,
  parseRetryAfter,
  parseRetrySchedule,
} from "../../src/webhooks/schedule";
import { createSecretBox } from "../../src/webhooks/secrets";
import { generateSecret, signatureHeader } from "../../src/webhooks/sign";
import { verifyWith } from "./receiver";

const now = Date.UTC(2026, 10, 29, 12);
const result = (statusCode: number | null, retryAfterSeconds: number | null = null) => ({
  statusCode,
  error: null,
  retryAfterSeconds,
});
const decide = (
  statusCode: number | null,
  attempt: number,
  extra: Partial<Parameters<typeof decideNextAttempt>[0]> = {},
) =>
  decideNextAttempt({
    result: result(statusCode),
    attempt,
    schedule: DEFAULT_RETRY_SCHEDULE,
    failingSince: now,
    now,
    random: () => 0.5,
    ...extra,
  });

describe("retry decisions", () => {
  it("any 2xx succeeds", () => {
    expect(decide(200, 1)).toEqual({ delivery: "succeeded" });
    expect(decide(204, 8)).toEqual({ delivery: "succeeded" });
  });

  it("follows the schedule (seconds after the previous attempt) until it runs out", () => {
    expect(DEFAULT_RETRY_SCHEDULE).toEqual([0, 5, 300, 1800, 7200, 18000, 36000, 36000]);
    const delays = [1, 2, 3, 4, 5, 6, 7].map((attempt) => decide(500, attempt));
    expect(delays).toEqual(
      [5, 300, 1800, 7200, 18000, 36000, 36000].map((s) => ({ delivery: "retry", delayMs: s * 1000 })),
    );
    expect(decide(500, 8)).toEqual({ delivery: "failed" });
    expect(decide(null, 8)).toEqual({ delivery: "failed" });
    expect(decide(302, 1)).toMatchObject({ delivery: "retry" }); // a redirect is a failed attempt
  });

  it("jitters each delay by at most 20 % either way", () => {
    expect(decide(500, 2, { random: () => 0 })).toEqual({ delivery: "retry", delayMs: 240_000 });
    expect(decide(500, 2, { random: () => 0.999_999 })).toMatchObject({ delayMs: 360_000 });
  });

  it("honours Retry-After on 429 and 503 when it is longer, never on other codes", () => {
    const slow = (code: number, seconds: number) =>
      decideNextAttempt({
        result: result(code, seconds),
        attempt: 1,
        schedule: DEFAULT_RETRY_SCHEDULE,
        failingSince: now,
        now,
        random: () => 0.5,
      });
    expect(slow(503, 60)).toEqual({ delivery: "retry", delayMs: 60_000 });
    expect(slow(429, 60)).toEqual({ delivery: "retry", delayMs: 60_000 });
    expect(slow(503, 1)).toEqual({ delivery: "retry", delayMs: 5_000 });
    expect(slow(500, 60)).toEqual({ delivery: "retry", delayMs: 5_000 });
  });

  it("410 fails the delivery and disables the endpoint at once", () => {
    expect(decide(410, 1)).toEqual({ delivery: "failed", disableEndpoint: expect.stringContaining("410") });
  });

  it("an endpoint failing for 5 days is disabled; its delivery stays pending for when it is re-enabled", () => {
    expect(decide(500, 2, { failingSince: now - DISABLE_AFTER_MS + 1 })).toEqual({
      delivery: "retry",
      delayMs: 300_000,
    });
    expect(decide(500, 2, { failingSince: now - DISABLE_AFTER_MS })).toEqual({
      delivery: "retry",
      delayMs: 300_000,
      disableEndpoint: "every delivery failed for 5 days",
    });
  });

  it("reads Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("120", now)).toBe(120);
    expect(parseRetryAfter(new Date(now + 30_000).toUTCString(), now)).toBe(30);
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });

  it("parses WEBHOOK_RETRY_SCHEDULE", () => {
    expect(parseRetrySchedule("0,1,2")).toEqual([0, 1, 2]);
    expect(parseRetrySchedule("0, 0.5")).toEqual([0, 0.5]);
    expect(parseRetrySchedule("")).toBeNull();
    expect(parseRetrySchedule("1,-1")).toBeNull();
    expect(parseRetrySchedule("1,x")).toBeNull();
    expect(parseRetrySchedule("99999")).toBeNull();
  });
});

describe("signatures and secrets", () => {
  it("signs as Standard Webhooks verifies: v1, HMAC-SHA256 of id.timestamp.body", async () => {
    const secret = generateSecret();
    const timestamp = Math.floor(Date.now() / 1000);
    const header = await signatureHeader([secret], "evt-1", timestamp, '{"a":1}');
    expect(header).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    const hook = {
      id: "evt-1",
      timestamp: String(timestamp),
      signature: header,
      body: '{"a":1}',
      userAgent: "",
      contentType: "",
      at: 0,
    };
    expect(verifyWith(secret, hook)).toEqual({ a: 1 });
    expect(() => verifyWith(secret, { ...hook, body: '{"a":2}' })).toThrow();
  });

  it("seals secrets with AES-GCM bound to the endpoint id", async () => {
    const box = createSecretBox(btoa("k".repeat(32)));
    const secret = generateSecret();
    const sealed = await box.seal(secret, "endpoint-a");
    expect(sealed).toMatch(/^aesgcm:/);
    expect(sealed).not.toContain(secret.slice(6));
    expect(await box.open(sealed, "endpoint-a")).toBe(secret);
    await expect(box.open(sealed, "endpoint-b")).rejects.toThrow();
    await expect(createSecretBox(undefined).open(sealed, "endpoint-a")).rejects.toThrow(/WEBHOOK_SECRET_KEY/);
    expect(await createSecretBox(undefined).seal(secret, "endpoint-a")).toBe(secret);
  });
});
