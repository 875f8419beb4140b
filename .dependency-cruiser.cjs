// The layers of src/, checked by `npm run lint` (depcruise src):
//   domain ← db ← webhooks ← http ← entries (app.ts, worker.ts, node.ts, env.ts, …)
// Nothing imports upward, and no route module imports another.
// log.ts and project-root.ts are leaves any layer may use.
const ENTRIES = "^src/(app|worker|node|env|assets-node)\\.ts$";

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-cycle",
      comment: "No import cycle in src/, type-only imports included.",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "domain-imports-only-domain",
      comment: "The domain is pure: it imports nothing but the domain (no Hono, no SQL, no package).",
      severity: "error",
      from: { path: "^src/domain/" },
      to: { pathNot: "^src/domain/" },
    },
    {
      name: "db-below-webhooks-and-http",
      comment: "src/db implements the domain's needs; it imports neither src/webhooks nor src/http, nor an entry.",
      severity: "error",
      from: { path: "^src/db/" },
      to: { path: ["^src/(http|webhooks)/", ENTRIES] },
    },
    {
      name: "webhooks-below-http",
      comment: "src/webhooks sends what src/db queued; it does not import src/http, nor an entry.",
      severity: "error",
      from: { path: "^src/webhooks/" },
      to: { path: ["^src/http/", ENTRIES] },
    },
    {
      name: "http-below-entries",
      comment: "src/http is handed what it needs by the entries; it does not import them.",
      severity: "error",
      from: { path: "^src/http/" },
      to: { path: ENTRIES },
    },
    {
      name: "routes-import-no-route",
      comment: "A route module imports no other route module: what two routes share has a module outside routes/.",
      severity: "error",
      from: { path: "^(src/http/routes/[^/]+)$" },
      to: { path: "^src/http/routes/", pathNot: "^$1$" },
    },
    {
      name: "no-unresolvable",
      severity: "error",
      from: { path: "^src/" },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    // Type-only imports count: a cycle through `import type` is still a cycle.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
    },
  },
};
