import { defineConfig } from "vitest/config";

// A test file's name decides its project, so a new file always lands in exactly one:
//   *.worker.test.ts   runtime      starts workerd (the Worker against the local libSQL server), maybe the Node entry too
//   *.browser.test.ts  runtime      drives Chromium
//   *.node.test.ts     integration  spawns a process or listens on a socket: the Node entry, the local libSQL
//                                   server, signals, crashes, a stand-in upstream
//   any other *.test.ts  unit       in-process only (test/support/unit-guard.ts makes spawning or listening throw)
// test/ mirrors src/ (and scripts/): the test of src/http/problem.ts is test/http/problem.test.ts. Behaviours
// that span files live in test/contract/ (run on every target) and test/reliability/.
const RUNTIME = ["test/**/*.worker.test.ts", "test/**/*.browser.test.ts"];
const INTEGRATION = ["test/**/*.node.test.ts"];

const shared = { pool: "forks", testTimeout: 30_000, hookTimeout: 60_000 } as const;

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          ...shared,
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: [...RUNTIME, ...INTEGRATION],
          setupFiles: ["test/support/unit-guard.ts"],
        },
      },
      { test: { ...shared, name: "integration", include: INTEGRATION } },
      { test: { ...shared, name: "runtime", include: RUNTIME } },
    ],
  },
});
