import type { Logger, LogRecord } from "../../src/log";

/** A logger that keeps its records for assertions instead of printing them. */
export function silentLogger(): Logger & { records: LogRecord[]; text(): string } {
  const records: LogRecord[] = [];
  return {
    records,
    info: (record) => void records.push({ level: "info", ...record }),
    error: (record) => void records.push({ level: "error", ...record }),
    text: () => records.map((record) => JSON.stringify(record)).join("\n"),
  };
}
