import { z } from "zod";

// The JSON shapes of Hrana over HTTP, version 2 (`docs/HTTP_V2_SPEC.md` and the
// shared structures of `docs/HRANA_3_SPEC.md` in tursodatabase/libsql).
// Requests are schemas because they come from the network; responses are plain types.

const sqlId = z
  .int()
  .min(-(2 ** 31))
  .max(2 ** 31 - 1);

export const Value = z.discriminatedUnion("type", [
  z.object({ type: z.literal("null") }),
  z.object({ type: z.literal("integer"), value: z.string().regex(/^-?\d+$/, "must be a decimal integer") }),
  z.object({ type: z.literal("float"), value: z.number() }),
  z.object({ type: z.literal("text"), value: z.string() }),
  z.object({ type: z.literal("blob"), base64: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64") }),
]);
export type Value = z.infer<typeof Value>;

export const Stmt = z.object({
  sql: z.string().nullish(),
  sql_id: sqlId.nullish(),
  args: z.array(Value).optional(),
  named_args: z.array(z.object({ name: z.string(), value: Value })).optional(),
  want_rows: z.boolean().optional(),
});
export type Stmt = z.infer<typeof Stmt>;

export type BatchCond =
  | { type: "ok"; step: number }
  | { type: "error"; step: number }
  | { type: "not"; cond: BatchCond }
  | { type: "and"; conds: BatchCond[] }
  | { type: "or"; conds: BatchCond[] }
  | { type: "is_autocommit" };

const stepIndex = z.int().nonnegative();
export const BatchCond: z.ZodType<BatchCond> = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ok"), step: stepIndex }),
  z.object({ type: z.literal("error"), step: stepIndex }),
  z.object({
    type: z.literal("not"),
    get cond() {
      return BatchCond;
    },
  }),
  z.object({
    type: z.literal("and"),
    get conds() {
      return z.array(BatchCond);
    },
  }),
  z.object({
    type: z.literal("or"),
    get conds() {
      return z.array(BatchCond);
    },
  }),
  z.object({ type: z.literal("is_autocommit") }),
]);

export const Batch = z.object({
  steps: z.array(z.object({ condition: BatchCond.nullish(), stmt: Stmt })),
});
export type Batch = z.infer<typeof Batch>;

const SqlSource = { sql: z.string().nullish(), sql_id: sqlId.nullish() };

export const StreamRequest = z.discriminatedUnion("type", [
  z.object({ type: z.literal("close") }),
  z.object({ type: z.literal("execute"), stmt: Stmt }),
  z.object({ type: z.literal("batch"), batch: Batch }),
  z.object({ type: z.literal("sequence"), ...SqlSource }),
  z.object({ type: z.literal("describe"), ...SqlSource }),
  z.object({ type: z.literal("store_sql"), sql_id: sqlId, sql: z.string() }),
  z.object({ type: z.literal("close_sql"), sql_id: sqlId }),
  z.object({ type: z.literal("get_autocommit") }),
]);
export type StreamRequest = z.infer<typeof StreamRequest>;

// Each request is parsed on its own, so one malformed request fails alone.
export const PipelineRequestBody = z.object({
  // The client leaves `baton` out altogether on a stream's first request.
  baton: z.string().nullish(),
  requests: z.array(z.unknown()),
});

export interface ProtoError {
  message: string;
  code: string;
  /** SQLite's extended code when it differs from `code` (not part of Hrana; clients ignore it). */
  extended_code?: string;
}

export interface Col {
  name: string | null;
  decltype: string | null;
}

export interface StmtResult {
  cols: Col[];
  rows: Value[][];
  affected_row_count: number;
  last_insert_rowid: string | null;
  query_duration_ms: number;
}

export interface BatchResult {
  step_results: (StmtResult | null)[];
  step_errors: (ProtoError | null)[];
}

export interface DescribeResult {
  params: { name: string | null }[];
  cols: { name: string; decltype: string | null }[];
  is_explain: boolean;
  is_readonly: boolean;
}

export type StreamResponse =
  | { type: "close" }
  | { type: "execute"; result: StmtResult }
  | { type: "batch"; result: BatchResult }
  | { type: "sequence" }
  | { type: "describe"; result: DescribeResult }
  | { type: "store_sql" }
  | { type: "close_sql" }
  | { type: "get_autocommit"; is_autocommit: boolean };

export type StreamResult = { type: "ok"; response: StreamResponse } | { type: "error"; error: ProtoError };

export interface PipelineResponseBody {
  baton: string | null;
  base_url: string | null;
  results: StreamResult[];
}
