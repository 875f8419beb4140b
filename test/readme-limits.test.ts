// README.md's Limits table says what the code enforces: each row is checked against the constant behind it.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MAX_LIVE_API_KEYS } from "../src/db/api-key-store";
import { MAX_BULK_LEADS } from "../src/domain/convert-leads-to-clients";
import { MAX_ENDPOINTS_PER_ENTITY } from "../src/domain/events";
import { MAX_BULK_NEW_LEADS, MAX_LEAD_JSON_BYTES } from "../src/domain/lead-intake";
import { DEFAULT_AUTH_FAILURES_PER_MINUTE, ENTITY_BUDGET_FACTOR } from "../src/http/auth/credential-limits";
import { MAX_BULK_LEADS_BODY_BYTES, MAX_LEAD_TEXT_CHARS } from "../src/http/lead-fields";
import { MAX_API_KEY_BODY_BYTES, MAX_KEY_LIFETIME_YEARS } from "../src/http/routes/api-keys";
import { MAX_BODY_BYTES } from "../src/http/validation";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const limits = readme.slice(readme.indexOf("## Limits"), readme.indexOf("\n## ", readme.indexOf("## Limits") + 1));
/** The Limits table's row whose first cell starts with `what`, its cells trimmed. */
const row = (what: string) => {
  const line = limits.split("\n").find((l) => l.startsWith(`| ${what}`));
  if (!line) throw new Error(`README's Limits table has no row "${what}"`);
  return line
    .split("|")
    .slice(1, -1)
    .map((cell) => cell.trim());
};
const kib = (bytes: number) => `${bytes / 1024} KiB`;
const thousands = (n: number) => n.toLocaleString("en-US");

describe("README.md, Limits", () => {
  it("states each fixed limit as the code has it", () => {
    expect(row("integration keys not revoked")).toEqual([
      "integration keys not revoked, per entity",
      String(MAX_LIVE_API_KEYS),
      "409 `limit_reached` (revoke one)",
    ]);
    expect(row("webhook endpoints per entity")[1]).toBe(String(MAX_ENDPOINTS_PER_ENTITY));
    expect(row("webhook endpoints per entity")[2]).toContain("409 `limit_reached`");
    expect(row("a key's `expires_at`")[1]).toBe(`${MAX_KEY_LIFETIME_YEARS} years ahead`);
    expect(row("leads per bulk conversion")[1]).toBe(`1–${MAX_BULK_LEADS} / 1–${MAX_BULK_NEW_LEADS}`);
    expect(MAX_BULK_LEADS_BODY_BYTES).toBe(1024 * 1024);
    expect(row("request body")[1]).toBe(
      `1 MiB for \`POST /leads/bulk\`, ${kib(MAX_API_KEY_BODY_BYTES)} for \`/api-keys\`, ${kib(MAX_BODY_BYTES)} elsewhere`,
    );
    expect(row("a lead's text fields")[1]).toBe(
      `${thousands(MAX_LEAD_TEXT_CHARS)} characters / ${kib(MAX_LEAD_JSON_BYTES)} each, as JSON`,
    );
    expect(row("database requests of failing integration keys")[1]).toContain(
      `${DEFAULT_AUTH_FAILURES_PER_MINUTE} a minute`,
    );
    expect(row("all credentials of one entity together")[1]).toBe(`${ENTITY_BUDGET_FACTOR} × one credential's budgets`);
  });
});
