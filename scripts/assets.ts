// npm run assets — writes the Worker's static assets into dist/assets: the OpenAPI
// document generated from the zod schemas, and Scalar's browser bundle for /docs
// (which the Node entry serves too). Runs before every build, `npm start` and the Worker tests.
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PACKAGE_VERSION, SCALAR_BUNDLE } from "../src/assets-node";
import { buildOpenApiDocument } from "../src/http/openapi/document";

export const ASSETS_DIR = fileURLToPath(new URL("../dist/assets/", import.meta.url));

/** Writes the assets; returns their folder. */
export function writeAssets(): string {
  mkdirSync(`${ASSETS_DIR}docs`, { recursive: true });
  writeFileSync(`${ASSETS_DIR}openapi.json`, JSON.stringify(buildOpenApiDocument(PACKAGE_VERSION)));
  const script = `${ASSETS_DIR}docs/scalar.js`;
  if (existsSync(SCALAR_BUNDLE)) copyFileSync(SCALAR_BUNDLE, script);
  else if (!existsSync(script)) {
    // A production-only install: the service still runs, and /docs answers 503 saying why.
    console.warn(
      `No docs page script: ${fileURLToPath(SCALAR_BUNDLE)} is missing (install the dev dependencies to build it); /docs will answer 503.`,
    );
  }
  return ASSETS_DIR;
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(`Wrote ${writeAssets()}`);
