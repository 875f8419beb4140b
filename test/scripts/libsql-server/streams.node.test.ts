import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient, LibsqlError } from "@libsql/client/web";
import { describe, expect, it, onTestFinished } from "vitest";
import type { PipelineResponseBody, StmtResult } from "../../../scripts/libsql-server/protocol";
import { startLibsqlServer } from "../../../scripts/libsql-server/server";
import { useLibsqlServer } from "./fixture";

// These tests speak the protocol directly, to see what the client hides: batons, request order, errors.

const fixture = useLibsqlServer();

interface PipelineAnswer {
  status: number;
  contentType: string | null;
  body: PipelineResponseBody & { message?: string; code?: string };
}

async function pipeline(body: unknown, url = fixture.server.url): Promise<PipelineAnswer> {
  const response = await fetch(`${url}/v2/pipeline`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const answerBody = (await response.json()) as PipelineAnswer["body"];
  return { status: response.status, contentType: response.headers.get("content-type"), body: answerBody };
}

const execute = (sql: string, args: unknown[] = []) => ({ type: "execute", stmt: { sql, args } });
const text = (value: string) => ({ type: "text", value });

function executeResult(answer: PipelineAnswer, index: number): StmtResult {
  const result = answer.body.results[index];
  if (result?.type !== "ok" || result.response.type !== "execute")
    throw new Error(`result ${index} is ${JSON.stringify(result)}`);
  return result.response.result;
}

async function createTable(columns: string): Promise<string> {
  const table = `t_${randomUUID().replaceAll("-", "")}`;
  await pipeline({ baton: null, requests: [execute(`CREATE TABLE ${table} (${columns})`), { type: "close" }] });
  return table;
}

async function countRows(table: string): Promise<string | undefined> {
  const answer = await pipeline({
    baton: null,
    requests: [execute(`SELECT count(*) FROM ${table}`), { type: "close" }],
  });
  const value = executeResult(answer, 0).rows[0]?.[0];
  return value?.type === "integer" ? value.value : undefined;
}

describe("pipelines", () => {
  it("answers one result per request, in order, and runs the requests after a failing one", async () => {
    const answer = await pipeline({
      baton: null,
      requests: [
        execute("SELECT 1"),
        execute("SELECT * FROM no_such_table"),
        execute("SELECT 'after'"),
        { type: "close" },
      ],
    });

    expect(answer.status).toBe(200);
    expect(answer.body.base_url).toBeNull();
    expect(answer.body.results.map((result) => result.type)).toEqual(["ok", "error", "ok", "ok"]);
    expect(answer.body.results[1]).toEqual({
      type: "error",
      error: { message: "no such table: no_such_table", code: "SQLITE_ERROR" },
    });
    expect(executeResult(answer, 2).rows).toEqual([[text("after")]]);
  });

  it("describes a result's columns and values in the Hrana shape", async () => {
    const answer = await pipeline({
      baton: null,
      requests: [
        execute("SELECT 42 AS answer, 0.5 AS half, 'x' AS letter, x'01' AS byte, NULL AS empty"),
        { type: "close" },
      ],
    });

    const result = executeResult(answer, 0);
    expect(result.cols.map((col) => col.name)).toEqual(["answer", "half", "letter", "byte", "empty"]);
    expect(result.rows).toEqual([
      [
        { type: "integer", value: "42" },
        { type: "float", value: 0.5 },
        text("x"),
        { type: "blob", base64: "AQ==" },
        { type: "null" },
      ],
    ]);
    expect(result.affected_row_count).toBe(0);
    expect(typeof result.query_duration_ms).toBe("number");
  });

  it("answers a malformed request with an error result and still runs the others", async () => {
    const answer = await pipeline({
      baton: null,
      requests: [{ type: "shout" }, execute("SELECT 1"), { type: "close" }],
    });

    expect(answer.body.results[0]).toMatchObject({ type: "error", error: { code: "PROTOCOL_ERROR" } });
    expect(answer.body.results[1]?.type).toBe("ok");
  });

  it("answers a body that is not a pipeline with HTTP 400 and a JSON error", async () => {
    const answer = await pipeline({ baton: null });

    expect(answer.status).toBe(400);
    expect(answer.contentType).toBe("application/json");
    expect(answer.body.code).toBe("PROTOCOL_ERROR");
  });

  it("runs stored SQL texts by id until they are closed", async () => {
    const answer = await pipeline({
      baton: null,
      requests: [
        { type: "store_sql", sql_id: 7, sql: "SELECT ? * 2" },
        { type: "execute", stmt: { sql_id: 7, args: [{ type: "integer", value: "21" }] } },
        { type: "close_sql", sql_id: 7 },
        { type: "execute", stmt: { sql_id: 7, args: [{ type: "integer", value: "1" }] } },
        { type: "close" },
      ],
    });

    expect(executeResult(answer, 1).rows).toEqual([[{ type: "integer", value: "42" }]]);
    expect(answer.body.results[3]).toMatchObject({ type: "error", error: { code: "SQL_NOT_FOUND" } });
  });

  it("describes a statement's parameters, columns and whether it writes", async () => {
    const table = await createTable("id INTEGER PRIMARY KEY, name TEXT");

    const answer = await pipeline({
      baton: null,
      requests: [
        { type: "describe", sql: `SELECT id, name FROM ${table} WHERE id = :id OR name = ?` },
        { type: "describe", sql: `INSERT INTO ${table} (name) VALUES (?)` },
        { type: "close" },
      ],
    });

    expect(answer.body.results[0]).toEqual({
      type: "ok",
      response: {
        type: "describe",
        result: {
          params: [{ name: ":id" }, { name: null }],
          cols: [
            { name: "id", decltype: "INTEGER" },
            { name: "name", decltype: "TEXT" },
          ],
          is_explain: false,
          is_readonly: true,
        },
      },
    });
    expect(answer.body.results[1]).toMatchObject({ response: { result: { is_readonly: false } } });
  });
});

describe("batches and their conditions", () => {
  it("runs a step only when its condition holds: ok, error, not, and, or, is_autocommit", async () => {
    const step = (sql: string, condition?: unknown) => ({ condition, stmt: { sql, args: [] } });
    const answer = await pipeline({
      baton: null,
      requests: [
        {
          type: "batch",
          batch: {
            steps: [
              step("SELECT 'fine'"), // 0 ok
              step("SELECT * FROM no_such_table"), // 1 error
              step("SELECT 'ok(0)'", { type: "ok", step: 0 }),
              step("SELECT 'ok(1)'", { type: "ok", step: 1 }),
              step("SELECT 'error(1)'", { type: "error", step: 1 }),
              step("SELECT 'not ok(1)'", { type: "not", cond: { type: "ok", step: 1 } }),
              step("SELECT 'and'", {
                type: "and",
                conds: [
                  { type: "ok", step: 0 },
                  { type: "ok", step: 1 },
                ],
              }),
              step("SELECT 'or'", {
                type: "or",
                conds: [
                  { type: "ok", step: 0 },
                  { type: "ok", step: 1 },
                ],
              }),
              step("SELECT 'is_autocommit'", { type: "is_autocommit" }),
              step("SELECT 'ok(skipped)'", { type: "ok", step: 3 }),
            ],
          },
        },
        { type: "close" },
      ],
    });

    const result = answer.body.results[0];
    if (result?.type !== "ok" || result.response.type !== "batch") throw new Error(JSON.stringify(result));
    const ran = result.response.result.step_results.map((stepResult) => {
      const value = stepResult?.rows[0]?.[0];
      return value?.type === "text" ? value.value : null;
    });
    expect(ran).toEqual(["fine", null, "ok(0)", null, "error(1)", "not ok(1)", null, "or", "is_autocommit", null]);
    expect(result.response.result.step_errors.map((error) => error?.code ?? null)).toEqual([
      null,
      "SQLITE_ERROR",
      ...Array(8).fill(null),
    ]);
  });

  it("refuses, without running any step, a batch whose condition looks ahead", async () => {
    const table = await createTable("n INTEGER");

    const answer = await pipeline({
      baton: null,
      requests: [
        {
          type: "batch",
          batch: {
            steps: [
              { stmt: { sql: `INSERT INTO ${table} VALUES (1)` } },
              { condition: { type: "ok", step: 2 }, stmt: { sql: "SELECT 1" } },
              { stmt: { sql: "SELECT 2" } },
            ],
          },
        },
        { type: "close" },
      ],
    });

    expect(answer.body.results[0]).toMatchObject({ type: "error", error: { code: "BATCH_COND_INVALID" } });
    expect(await countRows(table)).toBe("0");
  });
});

describe("streams and batons", () => {
  it("keeps a stream's transaction across requests, with a fresh baton on every response", async () => {
    const table = await createTable("n INTEGER");

    const first = await pipeline({
      baton: null,
      requests: [execute("BEGIN"), execute(`INSERT INTO ${table} VALUES (1)`)],
    });
    const second = await pipeline({ baton: first.body.baton, requests: [{ type: "get_autocommit" }] });
    const third = await pipeline({
      baton: second.body.baton,
      requests: [execute("ROLLBACK"), { type: "get_autocommit" }],
    });
    await pipeline({ baton: third.body.baton, requests: [{ type: "close" }] });

    expect(first.body.baton).toMatch(/^[\w-]{40,}$/);
    expect(second.body.baton).not.toBe(first.body.baton);
    expect(third.body.baton).not.toBe(second.body.baton);
    expect(second.body.results[0]).toEqual({ type: "ok", response: { type: "get_autocommit", is_autocommit: false } });
    expect(third.body.results[1]).toEqual({ type: "ok", response: { type: "get_autocommit", is_autocommit: true } });
    expect(await countRows(table)).toBe("0");
  });

  it("closes a stream on request: no baton comes back and later requests in the pipeline fail", async () => {
    const answer = await pipeline({ baton: null, requests: [{ type: "close" }, execute("SELECT 1")] });

    expect(answer.body.baton).toBeNull();
    expect(answer.body.results[0]).toEqual({ type: "ok", response: { type: "close" } });
    expect(answer.body.results[1]).toMatchObject({ type: "error", error: { code: "STREAM_CLOSED" } });
  });

  it("refuses a baton that was already used, with HTTP 400 and a JSON error", async () => {
    const first = await pipeline({ baton: null, requests: [execute("SELECT 1")] });
    const next = await pipeline({ baton: first.body.baton, requests: [execute("SELECT 2")] });

    const reused = await pipeline({ baton: first.body.baton, requests: [execute("SELECT 3")] });
    await pipeline({ baton: next.body.baton, requests: [{ type: "close" }] });

    expect(reused.status).toBe(400);
    expect(reused.contentType).toBe("application/json");
    expect(reused.body.code).toBe("BATON_REUSED");
    expect(reused.body.message).toContain("already used");
  });

  it("refuses a baton it never issued", async () => {
    const answer = await pipeline({ baton: "made-up", requests: [execute("SELECT 1")] });

    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe("BATON_INVALID");
  });
});

describe("idle streams", () => {
  it("expire: their transaction is rolled back, its lock released, and their baton refused", async () => {
    const forgetful = await startLibsqlServer({ dbPath: fixture.dbPath, streamIdleTimeoutMs: 100 });
    onTestFinished(() => forgetful.close());
    const table = await createTable("n INTEGER");

    const open = await pipeline(
      { baton: null, requests: [execute("BEGIN IMMEDIATE"), execute(`INSERT INTO ${table} VALUES (1)`)] },
      forgetful.url,
    );
    await sleep(300);
    const late = await pipeline({ baton: open.body.baton, requests: [execute("COMMIT")] }, forgetful.url);
    const otherWriter = await pipeline({
      baton: null,
      requests: [execute(`INSERT INTO ${table} VALUES (2)`), { type: "close" }],
    });

    expect(late.status).toBe(400);
    expect(late.body.code).toBe("STREAM_EXPIRED");
    expect(late.body.message).toContain("expired");
    expect(otherWriter.body.results[0]?.type).toBe("ok");
    expect(await countRows(table)).toBe("1");
  });

  it("show the client a readable error when its transaction outlives the stream", async () => {
    const forgetful = await startLibsqlServer({ dbPath: fixture.dbPath, streamIdleTimeoutMs: 100 });
    onTestFinished(() => forgetful.close());
    const client = createClient({ url: forgetful.url });
    onTestFinished(() => client.close());

    const transaction = await client.transaction("write");
    await transaction.execute("SELECT 1");
    await sleep(300);
    const error = await transaction.execute("SELECT 2").catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(LibsqlError);
    expect((error as LibsqlError).code).toBe("STREAM_EXPIRED");
    expect((error as LibsqlError).message).toContain("The stream expired after 100 ms");
  });
});

describe("a stream after SQLITE_BUSY", () => {
  it("keeps working, and does not leave the database locked, once a statement gave up waiting", async () => {
    const impatient = await startLibsqlServer({ dbPath: fixture.dbPath, busyWaitMs: 50 });
    onTestFinished(() => impatient.close());
    const table = await createTable("n INTEGER");
    const holder = await pipeline({ baton: null, requests: [execute("BEGIN IMMEDIATE")] });

    const blocked = await pipeline(
      { baton: null, requests: [execute(`INSERT INTO ${table} VALUES (1)`)] },
      impatient.url,
    );
    await pipeline({ baton: holder.body.baton, requests: [execute("COMMIT"), { type: "close" }] });
    const retried = await pipeline(
      { baton: blocked.body.baton, requests: [execute(`INSERT INTO ${table} VALUES (2)`)] },
      impatient.url,
    );
    const otherWriter = await pipeline({
      baton: null,
      requests: [execute(`INSERT INTO ${table} VALUES (3)`), { type: "close" }],
    });
    await pipeline({ baton: retried.body.baton, requests: [{ type: "close" }] }, impatient.url);

    expect(blocked.body.results[0]).toMatchObject({ type: "error", error: { code: "SQLITE_BUSY" } });
    expect(retried.body.results[0]?.type).toBe("ok");
    expect(otherWriter.body.results[0]?.type).toBe("ok");
    expect(await countRows(table)).toBe("2");
  });
});

describe("routes", () => {
  it("answers the version checks so that clients settle on version 2", async () => {
    const statuses = await Promise.all(
      ["/v2", "/v3", "/v3-protobuf", "/health", "/nope"].map((path) => fetch(fixture.server.url + path)),
    );

    expect(statuses.map((response) => response.status)).toEqual([200, 404, 404, 200, 404]);
  });
});
