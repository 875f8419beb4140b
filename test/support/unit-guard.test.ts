import { execFileSync, fork, spawn } from "node:child_process";
import { createServer } from "node:http";
import { describe, expect, it } from "vitest";

describe("the unit project", () => {
  it("refuses to spawn a process, whichever way it is asked", () => {
    expect(() => spawn("node", ["--version"])).toThrow(/child_process\.spawn in a unit test/);
    expect(() => fork("scripts/require-node.mjs")).toThrow(/child_process\.fork/);
    expect(() => execFileSync("node", ["--version"])).toThrow(/child_process\.execFileSync/);
  });

  it("refuses to listen on a socket", () => {
    expect(() => createServer().listen(0, "127.0.0.1")).toThrow(/listening on a socket in a unit test/);
  });
});
