import { readFileSync } from "node:fs";
import { projectRoot } from "../../project-root";
import type { Tag } from "./contract";

// The integrator's guide, in Markdown under guide/: the document's
// `info.description` (overview.md) and each tag's description (one chapter
// per tag), so that /docs shows it beside the operations. Read when the
// document is built — by scripts/assets.ts, or by the Node entry at start.

const read = (chapter: string) =>
  readFileSync(new URL(`src/http/openapi/guide/${chapter}.md`, projectRoot()), "utf8").trim();

/** The guide's opening: what the API is, authentication, errors, retries, rate limits. */
export const guideOverview = () => read("overview");

/**
 * The chapter of a tag: `Integration keys` is guide/integration-keys.md.
 *
 * @example
 * guideChapter("Conversions") // the Markdown of guide/conversions.md
 */
export const guideChapter = (tag: Tag) => read(tag.toLowerCase().replaceAll(" ", "-"));
