import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { buildOpenApiDocument } from "./http/openapi/document";
import { OPENAPI_PATH, SCALAR_SCRIPT_PATH, type StaticAssets } from "./http/routes/docs";
import { projectRoot } from "./project-root";

/** Scalar's browser bundle, a devDependency; absent where only production dependencies are installed. */
export const SCALAR_BUNDLE = new URL("node_modules/@scalar/api-reference/dist/browser/standalone.js", projectRoot());

/** The package version, which the OpenAPI document carries. */
export const PACKAGE_VERSION: string = JSON.parse(readFileSync(new URL("package.json", projectRoot()), "utf8")).version;

/**
 * The docs' files for the Node entry: the OpenAPI document built once from
 * the schemas, and Scalar's bundle read once from node_modules.
 */
export function nodeAssets(): StaticAssets {
  let openApi: string | undefined;
  let script: Promise<Buffer | null> | undefined;
  return async (path) => {
    if (path === OPENAPI_PATH) {
      openApi ??= JSON.stringify(buildOpenApiDocument(PACKAGE_VERSION));
      return new Response(openApi, { headers: { "Content-Type": "application/json" } });
    }
    if (path !== SCALAR_SCRIPT_PATH) return null;
    script ??= readFile(SCALAR_BUNDLE).catch(() => null);
    const bundle = await script;
    return bundle && new Response(bundle, {
      headers: { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "public, max-age=86400" },
    });
  };
}
