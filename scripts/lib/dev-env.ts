import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { parseEnv } from "node:util";

export const DEV_VARS_FILE = ".dev.vars";

function readDevVars(): Record<string, string | undefined> {
  return existsSync(DEV_VARS_FILE) ? parseEnv(readFileSync(DEV_VARS_FILE, "utf8")) : {};
}

/** The settings of a developer command: `.dev.vars` (as wrangler reads it), overridden by the environment. */
export function loadDevEnv(): Record<string, string | undefined> {
  return { ...readDevVars(), ...process.env };
}

/**
 * Makes sure a `JWT_SECRET` exists: when neither the environment nor
 * `.dev.vars` has one, a random one is generated into `.dev.vars`, where
 * `wrangler dev`, `npm start` and `npm run token` all find it.
 */
export function ensureDevSecret(): void {
  if (loadDevEnv().JWT_SECRET) return;
  const secret = randomBytes(32).toString("base64url");
  const existing = existsSync(DEV_VARS_FILE) ? readFileSync(DEV_VARS_FILE, "utf8") : "";
  const separator = existing === "" || existing.endsWith("\n") ? "" : "\n";
  appendFileSync(DEV_VARS_FILE, `${separator}JWT_SECRET=${secret}\n`, { mode: 0o600 });
  console.error(`Generated a JWT_SECRET into ${DEV_VARS_FILE}.`);
}
