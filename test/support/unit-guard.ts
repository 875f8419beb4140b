import { createRequire, syncBuiltinESMExports } from "node:module";

// The unit project's promise: nothing leaves this process. A test that spawns a process or opens a listening
// socket belongs in *.node.test.ts (integration) or *.worker.test.ts (runtime); here it fails loudly instead.
const require = createRequire(import.meta.url);
const childProcess = require("node:child_process") as Record<string, unknown>;
const net = require("node:net") as typeof import("node:net");

function refuse(what: string): never {
  throw new Error(`${what} in a unit test: name the file *.node.test.ts or *.worker.test.ts (see vitest.config.ts)`);
}

for (const name of ["spawn", "spawnSync", "fork", "exec", "execSync", "execFile", "execFileSync"]) {
  childProcess[name] = () => refuse(`child_process.${name}`);
}
net.Server.prototype.listen = () => refuse("listening on a socket");
syncBuiltinESMExports();
