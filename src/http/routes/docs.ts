import { Scalar } from "@scalar/hono-api-reference";
import type { Context, MiddlewareHandler } from "hono";
import { Hono } from "hono/tiny";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { NO_DOCUMENT } from "../details";
import type { RouteContract } from "../openapi/contract";
import { header, problem } from "../openapi/parts";
import { cacheControl, commonHeaders, problemResponse } from "../openapi/responses";
import { ApiError } from "../problem";
import type { AppEnv } from "../types";

export const OPENAPI_PATH = "/openapi.json";
export const SCALAR_SCRIPT_PATH = "/docs/scalar.js";

/**
 * The files the docs need, from wherever this runtime keeps them (Workers
 * static assets, or the Node process): null when it has none.
 */
export type StaticAssets = (
  path: typeof OPENAPI_PATH | typeof SCALAR_SCRIPT_PATH,
  request: Request,
) => Promise<Response | null>;

const docsNotInstalled = () =>
  new ApiError(
    "service_unavailable",
    "The API reference is not installed here: its script (dist/assets/docs/scalar.js) is written by `npm run assets`, which needs the dev dependencies. GET /openapi.json still works.",
  );

/**
 * `GET /openapi.json`, generated from the zod schemas, and `GET /docs`, the
 * Scalar reference that renders it. The page's script is the service's own
 * copy, so the docs load nothing from a CDN; without a copy (a production-only
 * install that never ran `npm run assets`) both answer a 503 problem that says so.
 */
export function docsRoutes({ assets }: { assets?: StaticAssets }) {
  // Re-sent through the context, so the asset gets the headers every response carries.
  const serve = (c: Context<AppEnv>, asset: Response, cacheControl: string) =>
    c.body(asset.body as Parameters<typeof c.body>[0], asset.status as ContentfulStatusCode, {
      ...Object.fromEntries(asset.headers),
      "Cache-Control": cacheControl,
    });

  // Everything that would reach Scalar's servers is off: its fonts, telemetry, and the agent chat
  // (which asks api.scalar.com for a registry through proxy.scalar.com as the page loads).
  const page = Scalar<AppEnv>({
    url: OPENAPI_PATH,
    cdn: SCALAR_SCRIPT_PATH,
    pageTitle: "Lead to client conversion API",
    withDefaultFonts: false,
    telemetry: false,
    agent: { disabled: true },
  });
  const requireScript: MiddlewareHandler<AppEnv> = async (c, next) => {
    const script = await assets?.(SCALAR_SCRIPT_PATH, c.req.raw);
    if (!script) throw docsNotInstalled();
    await script.body?.cancel();
    await next();
  };

  return new Hono<AppEnv>()
    .get(OPENAPI_PATH, async (c) => {
      const document = await assets?.(OPENAPI_PATH, c.req.raw);
      if (!document) throw new ApiError("not_found", NO_DOCUMENT);
      // Public, but revalidated: a deploy changes it.
      return serve(c, document, "no-cache");
    })
    .get(SCALAR_SCRIPT_PATH, async (c) => {
      const script = await assets?.(SCALAR_SCRIPT_PATH, c.req.raw);
      if (!script) throw docsNotInstalled();
      // A copy of one pinned package version, with no data in it.
      return serve(c, script, "public, max-age=86400");
    })
    .get("/docs", requireScript, page);
}

const docsNotInstalledResponse = () =>
  problemResponse(
    "The API reference is not installed here (a production-only install that never ran `npm run assets`).",
    [problem("service_unavailable", "The API reference is not installed here.")],
  );

/** `GET /openapi.json`, `GET /docs` and its script, as /openapi.json documents them. */
export const docsContract = (): RouteContract => ({
  tag: "Operations",
  paths: {
    [OPENAPI_PATH]: {
      get: {
        operationId: "openapi",
        summary: "This document",
        responses: {
          200: {
            description: "The OpenAPI 3.1 document; public, revalidated on every use (a deploy changes it).",
            headers: { "X-Request-Id": header("XRequestId"), "Cache-Control": cacheControl("no-cache") },
            content: { "application/json": { schema: { type: "object" } } },
          },
          404: problemResponse(NO_DOCUMENT, [problem("not_found", NO_DOCUMENT)]),
        },
      },
    },
    "/docs": {
      get: {
        operationId: "docs",
        summary: "The interactive API reference (Scalar), served with its own script: nothing from a CDN",
        responses: {
          200: {
            description: "The page.",
            headers: commonHeaders(),
            content: { "text/html": { schema: { type: "string" } } },
          },
          503: docsNotInstalledResponse(),
        },
      },
    },
    [SCALAR_SCRIPT_PATH]: {
      get: {
        operationId: "docsScript",
        summary: "The docs page's script: this service's copy of one pinned Scalar version",
        responses: {
          200: {
            description: "The script; public and cached for a day.",
            headers: { "X-Request-Id": header("XRequestId"), "Cache-Control": cacheControl("public, max-age=86400") },
            content: { "text/javascript": { schema: { type: "string" } } },
          },
          503: docsNotInstalledResponse(),
        },
      },
    },
  },
});
