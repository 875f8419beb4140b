// The first step of every npm script: on a Node.js older than package.json's
// `engines.node`, stop at once with one line instead of a stack trace from deep
// inside wrangler or vitest. Plain JavaScript that any old Node can run.
import { readFileSync } from "node:fs";

const { engines } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const needed = /^>=(\d+)\.(\d+)/.exec(engines.node);
const [major, minor] = process.versions.node.split(".").map(Number);

if (needed && (major < Number(needed[1]) || (major === Number(needed[1]) && minor < Number(needed[2])))) {
  console.error(
    `This project needs Node.js ${needed[1]}.${needed[2]} or later (24 LTS recommended, see .nvmrc); ` +
      `found ${process.version}. README → Contributing shows how to get Node 24 from the npm registry.`,
  );
  process.exit(1);
}
