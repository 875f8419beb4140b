// node --expose-gc bench/libsql-prepare-leak.mjs [each|once|reopen|collect|gc]   (one mode per process: freed memory stays with the allocator)
// Evidence for the Node entry's memory (bench/RESULTS.md, "Peak RSS"). The embedded
// engine's binding (libsql 0.5) keeps ~2.8 KB of native memory for every statement it
// prepares, and @libsql/client prepares every statement it runs. That memory comes back
// only when V8 collects the statement's JS handle and runs its finalizer (with the thread
// free); the handle is tiny and V8 is not told about the native memory, so collections
// come late and it piles up. Modes: "each" grows; "reopen" (a fresh connection every 500
// statements, as src/db/embedded-client.ts once did) grows just the same; "gc" (a collection
// every 500) and "collect" (both) stay flat; "once" (one prepared statement run again, as
// src/db/embedded-client.ts now does for each SQL text) never grows.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "libsql";

const STATEMENTS = 20_000;
const anonymousMb = () =>
  Number(/Anonymous:\s+(\d+)/.exec(readFileSync("/proc/self/smaps_rollup", "utf8"))?.[1]) / 1024;
const settle = async () => {
  for (let i = 0; i < 2; i += 1) {
    globalThis.gc?.();
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
};
if (!globalThis.gc) throw new Error("run with node --expose-gc");

const MODES = {
  each: "prepare each time",
  once: "prepare once",
  reopen: "prepare each time, reopen every 500",
  collect: "prepare each time, reopen and collect garbage every 500",
  gc: "prepare each time, collect garbage every 500",
};
const chosen = process.argv[2] ?? "each";
if (!(chosen in MODES)) throw new Error(`mode must be one of ${Object.keys(MODES).join(", ")}`);
{
  const mode = MODES[chosen];
  const dir = mkdtempSync(join(tmpdir(), "prepare-leak-"));
  const path = join(dir, "probe.db");
  let db = new Database(path);
  db.exec("create table t (id integer primary key, v text)");
  await settle();
  const before = anonymousMb();
  const once = db.prepare("insert into t (v) values (?)");
  for (let i = 1; i <= STATEMENTS; i += 1) {
    (mode === "prepare once" ? once : db.prepare("insert into t (v) values (?)")).run("x".repeat(100));
    if (chosen === "gc" && i % 500 === 0) {
      globalThis.gc();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    if (mode.includes("reopen") && i % 500 === 0) {
      db.close();
      db = new Database(path);
      // Finalizers run after the collection, once the thread is free: as between a server's requests.
      if (chosen === "collect") {
        globalThis.gc();
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
  }
  db.close();
  await settle();
  const grown = anonymousMb() - before;
  console.log(
    `${mode}: ${STATEMENTS} inserts, anonymous memory +${grown.toFixed(1)} MB after GC and close (${((grown * 1024 * 1024) / STATEMENTS).toFixed(0)} B per statement)`,
  );
  rmSync(dir, { recursive: true, force: true });
}
