import { Scalar } from "@scalar/hono-api-reference";
import { Hono } from "hono";
import openApiDocument from "../openapi/openapi.generated.json";
import type { AppEnv } from "../types";

/** Where browsers get the docs page's script when the service cannot serve its own copy. */
export const SCALAR_CDN_URL = "https://cdn.jsdelivr.net/npm/@scalar/api-reference@1.46.4";
export const SCALAR_SCRIPT_PATH = "/docs/scalar.js";

/** Serves Scalar's browser bundle, or null when this runtime has no copy of it. */
export type DocsScript = (request: Request) => Promise<Response | null>;

/**
 * `GET /openapi.json` (generated at build time from the zod schemas) and
 * `GET /docs`, the Scalar reference rendering it. The page's script is the
 * service's own copy, so the docs work offline; without one, the pinned CDN build.
 */
export function docsRoutes({ docsScript }: { docsScript?: DocsScript }) {
  return new Hono<AppEnv>()
    .get("/openapi.json", (c) => c.json(openApiDocument))
    .get(SCALAR_SCRIPT_PATH, async (c) => {
      const script = await docsScript?.(c.req.raw);
      return script ?? c.redirect(SCALAR_CDN_URL, 302);
    })
    .get(
      "/docs",
      Scalar({ url: "/openapi.json", cdn: SCALAR_SCRIPT_PATH, pageTitle: "Lead to client conversion API" }),
    );
}
