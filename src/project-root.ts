import { existsSync } from "node:fs";

let root: URL | undefined;

/**
 * The folder holding package.json, found (once) by walking up from this module,
 * so paths to migrations/ and node_modules/ hold from src/ and from a bundle alike.
 */
export function projectRoot(): URL {
  root ??= findRoot();
  return root;
}

function findRoot(): URL {
  let dir = new URL(".", import.meta.url);
  for (let depth = 0; depth < 6; depth += 1) {
    if (existsSync(new URL("package.json", dir))) return dir;
    dir = new URL("..", dir);
  }
  throw new Error("package.json not found above this module");
}
