import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { buildOpenApiDocument } from "./http/openapi/document";
import { OPENAPI_PATH, SCALAR_SCRIPT_PATH, type StaticAssets } from "./http/routes/docs";
import { projectRoot } from "./project-root";

/** Scalar's browser bundle, a devDependency; absent where only production dependencies are installed. */
export const SCALAR_BUNDLE = new URL("node_modules/@scalar/api-reference/dist/browser/standalone.js", projectRoot());

/** The copy `npm run assets` writes, which a production install keeps once built. */
export const BUILT_SCALAR_BUNDLE = new URL("dist/assets/docs/scalar.js", projectRoot());

/** The package version, which the OpenAPI document carries. */
export const PACKAGE_VERSION: string = JSON.parse(readFileSync(new URL("package.json", projectRoot()), "utf8")).version;

export interface NodeAssetsOptions {
  /** Where to look for the docs page's script, first found wins. Default: the built copy, then node_modules. */
  scalarBundles?: readonly URL[];
}

async function readFirst(files: readonly URL[]): Promise<Buffer | null> {
  for (const file of files) {
    const content = await readFile(file).catch(() => null);
    if (content) return content;
  }
  return null;
}

/**
 * The docs' files for the Node entry: the OpenAPI document built once from
 * the schemas, and Scalar's bundle read once from the built assets or
 * node_modules — null when neither has it, and /docs says so.
 *
 * @example
 * createApp({ db, auth, assets: nodeAssets() });
 */
export function nodeAssets({
  scalarBundles = [BUILT_SCALAR_BUNDLE, SCALAR_BUNDLE],
}: NodeAssetsOptions = {}): StaticAssets {
  let openApi: string | undefined;
  let script: Promise<Buffer | null> | undefined;
  return async (path) => {
    if (path === OPENAPI_PATH) {
      openApi ??= JSON.stringify(buildOpenApiDocument(PACKAGE_VERSION));
      return new Response(openApi, { headers: { "Content-Type": "application/json" } });
    }
    if (path !== SCALAR_SCRIPT_PATH) return null;
    script ??= readFirst(scalarBundles);
    const bundle = await script;
    return bundle && new Response(bundle, { headers: { "Content-Type": "text/javascript; charset=utf-8" } });
  };
}
