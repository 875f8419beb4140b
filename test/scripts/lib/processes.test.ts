import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { judgeMemory, NODE_ENTRY_FLAGS } from "../../../scripts/lib/processes";

// The flags measured by the benchmark are the ones users start the Node entry with.
describe("the Node entry's start commands", () => {
  const scripts = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")).scripts as Record<
    string,
    string
  >;
  it.each(["serve", "start:node"])("npm run %s starts node with the benchmarked V8 flags", (name) => {
    const node = /exec node ((?:--\S+ )*)/.exec(scripts[name]!)?.[1]?.trim().split(" ") ?? [];
    expect(node).toEqual(expect.arrayContaining(NODE_ENTRY_FLAGS));
  });
});

// The soak's memory judgement (npm run soak): RSS samples in MiB, one a second.
describe("the soak's memory verdict", () => {
  it("passes a process that warms up, then holds steady within GC wobble", () => {
    const samples = [55, 70, 78, 80, 79, 82, 81, 80, 83, 82, 81, 84];
    expect(judgeMemory(samples, { budgetMb: 150 })).toMatchObject({ ok: true });
  });

  it("fails a process whose RSS keeps growing after warm-up, saying by how much", () => {
    const samples = [55, 70, 78, 80, 82, 84, 86, 88, 92, 96, 100, 104];
    const verdict = judgeMemory(samples, { budgetMb: 150 });
    expect(verdict.ok).toBe(false);
    expect(verdict.reason).toMatch(/keeps growing .* 104\.0 MB is 16\.0 MB over/);
  });

  it("fails a process over the budget, even when it is not growing", () => {
    const verdict = judgeMemory([160, 161, 160, 161, 160, 161], { budgetMb: 150 });
    expect(verdict).toEqual({ ok: false, reason: "peak RSS 161.0 MB is over the budget of 150 MB" });
  });

  it("judges only the budget when the run is too short to have thirds", () => {
    expect(judgeMemory([60, 90, 120], { budgetMb: 150 })).toMatchObject({
      ok: true,
      reason: expect.stringMatching(/too few samples/),
    });
    expect(judgeMemory([60, 90, 151], { budgetMb: 150 }).ok).toBe(false);
  });
});
