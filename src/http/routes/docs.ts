import { Scalar } from "@scalar/hono-api-reference";
import type { Context } from "hono";
import { Hono } from "hono/tiny";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ApiError } from "../problem";
import type { AppEnv } from "../types";

export const OPENAPI_PATH = "/openapi.json";
export const SCALAR_SCRIPT_PATH = "/docs/scalar.js";
/** Where browsers get the docs page's script when this runtime has no copy of it. */
export const SCALAR_CDN_URL = "https://cdn.jsdelivr.net/npm/@scalar/api-reference@1.46.4";

/**
 * The files the docs need, from wherever this runtime keeps them (Workers
 * static assets, or the Node process): null when it has none.
 */
export type StaticAssets = (path: typeof OPENAPI_PATH | typeof SCALAR_SCRIPT_PATH, request: Request) => Promise<Response | null>;

/**
 * `GET /openapi.json`, generated from the zod schemas, and `GET /docs`, the
 * Scalar reference that renders it. The page's script is the service's own
 * copy, so the docs work offline; without one, the pinned CDN build.
 */
export function docsRoutes({ assets }: { assets?: StaticAssets }) {
  // Re-sent through the context, so the asset gets the headers every response carries.
  const serve = (c: Context<AppEnv>, asset: Response) =>
    c.body(asset.body as Parameters<typeof c.body>[0], asset.status as ContentfulStatusCode, Object.fromEntries(asset.headers));

  return new Hono<AppEnv>()
    .get(OPENAPI_PATH, async (c) => {
      const document = await assets?.(OPENAPI_PATH, c.req.raw);
      if (!document) throw new ApiError("not_found", "This deployment has no OpenAPI document.");
      return serve(c, document);
    })
    .get(SCALAR_SCRIPT_PATH, async (c) => {
      const script = await assets?.(SCALAR_SCRIPT_PATH, c.req.raw);
      return script ? serve(c, script) : c.redirect(SCALAR_CDN_URL, 302);
    })
    .get("/docs", Scalar({ url: OPENAPI_PATH, cdn: SCALAR_SCRIPT_PATH, pageTitle: "Lead to client conversion API" }));
}
