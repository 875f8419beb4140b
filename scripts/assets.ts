// npm run assets — writes the Worker's static assets into dist/assets: the OpenAPI
// document generated from the zod schemas, and Scalar's browser bundle for /docs.
// Runs before every build, `npm start` and the Worker tests.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PACKAGE_VERSION, SCALAR_BUNDLE } from "../src/assets-node";
import { buildOpenApiDocument } from "../src/http/openapi/document";

export const ASSETS_DIR = fileURLToPath(new URL("../dist/assets/", import.meta.url));

/** Writes the assets; returns their folder. */
export function writeAssets(): string {
  mkdirSync(`${ASSETS_DIR}docs`, { recursive: true });
  writeFileSync(`${ASSETS_DIR}openapi.json`, JSON.stringify(buildOpenApiDocument(PACKAGE_VERSION)));
  copyFileSync(SCALAR_BUNDLE, `${ASSETS_DIR}docs/scalar.js`);
  return ASSETS_DIR;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(`Wrote ${writeAssets()}`);
