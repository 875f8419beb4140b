// Runs before `npm start` and `npm test`, so each works on a fresh clone on its own:
// installs the locked npm dependencies when node_modules is missing and, with
// --browser (tests), makes sure a Chromium exists for the docs-page test.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const run = (command, args) => spawnSync(command, args, { stdio: "inherit" }).status === 0;

if (!existsSync(new URL("../node_modules/.package-lock.json", import.meta.url))) {
  console.error("node_modules is missing: installing the locked dependencies (npm ci)…");
  if (!run("npm", ["ci", "--no-audit", "--no-fund"])) process.exit(1);
}

if (process.argv.includes("--browser")) {
  const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  if (!existsSync(chromium)) {
    const canInstall = process.getuid?.() === 0 && existsSync("/usr/bin/apt-get");
    if (canInstall) {
      console.error("Chromium is missing (the /docs page is tested in it): installing Debian's chromium…");
      const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
      const ok =
        spawnSync("apt-get", ["update", "-qq"], { stdio: "inherit", env }).status === 0 &&
        spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "chromium"], { stdio: "inherit", env })
          .status === 0;
      if (!ok) process.exit(1);
    } else {
      console.error(
        `No Chromium at ${chromium}; the /docs page test needs one. Install it (Debian: apt-get install chromium) ` +
          "or point CHROMIUM_PATH at a Chrome or Chromium binary.",
      );
      process.exit(1);
    }
  }
}
