// npm run openapi — writes the OpenAPI document generated from the zod schemas.
// Runs before every build; a test fails when the committed file is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { buildOpenApiDocument } from "../src/http/openapi/document";

export const OPENAPI_FILE = new URL("../src/http/openapi/openapi.generated.json", import.meta.url);

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
writeFileSync(OPENAPI_FILE, `${JSON.stringify(buildOpenApiDocument(version), null, 2)}\n`);
console.log(`Wrote ${OPENAPI_FILE.pathname.split("/").slice(-4).join("/")}`);
