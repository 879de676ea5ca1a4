import type { TerminalStatus } from '../../domain/records.js'
import type { ParamValue } from '../../domain/param-value.js'
import { fromWire, toExtendedJson, type ExtendedJson, type WireNumber } from './extended-json.js'

/** The names of W&B's four file_stream "files" (reference §3.2); the gateway writes two. */
export const HISTORY_FILE = 'wandb-history.jsonl'
export const SUMMARY_FILE = 'wandb-summary.json'

/** Keys W&B reserves inside history and summary lines; a user metric must not shadow them. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['_step', '_runtime', '_timestamp', '_wandb'])

/** W&B's per-line limit, "imposed by the back-end" (Go `filestreamstate.go`). */
export const MAX_LINE_BYTES = (10 << 20) - (100 << 10)

export interface HistoryRow {
  step: number
  /** Latest metric timestamp in the row, ms since the epoch. */
  ts: number
  metrics: Record<string, WireNumber>
}

/** Seconds since the run started; never negative, since clocks of trainer and gateway differ. */
export function runtimeSeconds (tsMs: number, runStartMs: number): number {
  return Math.max(0, tsMs - runStartMs) / 1000
}

/** One `wandb-history.jsonl` line: `_step` (int), `_runtime` and `_timestamp` (float s), metrics. */
export function encodeHistoryRow (row: HistoryRow, runStartMs: number): string {
  const line: Record<string, ExtendedJson> = {
    _step: row.step,
    _runtime: runtimeSeconds(row.ts, runStartMs),
    _timestamp: row.ts / 1000
  }
  for (const [key, value] of Object.entries(row.metrics)) line[key] = fromWire(value)
  return toExtendedJson(line)
}

/**
 * The whole `wandb-summary.json` line: last value per metric plus `_step`, `_timestamp`,
 * `_runtime` as int seconds and `_wandb.runtime` (Go `runsummary.Serialize`, reference §3.5).
 */
export function encodeSummary (summary: Record<string, WireNumber>, last: { step: number, ts: number }, runStartMs: number): string {
  const runtime = Math.floor(runtimeSeconds(last.ts, runStartMs))
  const line: Record<string, ExtendedJson> = {}
  for (const [key, value] of Object.entries(summary)) line[key] = fromWire(value)
  line._step = last.step
  line._runtime = runtime
  line._timestamp = last.ts / 1000
  line._wandb = { runtime }
  return toExtendedJson(line)
}

/**
 * W&B's config JSONString: `{"key": {"value": v}}` with the typed value as `wandb.config` keeps it
 * (numbers, booleans, lists, nested objects inside the entry's `value`), plus `_wandb.t`, without
 * which resuming SDK clients consider the run "not initialised" (reference §2.3), and an empty
 * metric list `m`.
 */
export function encodeConfig (params: Record<string, ParamValue>): string {
  const config: Record<string, ExtendedJson> = {}
  for (const key of Object.keys(params).sort()) {
    config[key] = { value: params[key] ?? null }
  }
  config._wandb = { value: { t: {}, m: [] } }
  return toExtendedJson(config)
}

export interface FileStreamBody {
  history?: { offset: number, lines: string[] }
  summary?: string
  complete?: { exitcode: number }
}

/**
 * The file_stream request body. The outer body is strict JSON (lines travel as strings); empty
 * fields are omitted as Go does, so a heartbeat is `{}`.
 */
export function encodeFileStreamBody (body: FileStreamBody): string {
  const files: Record<string, { offset: number, content: string[] }> = {}
  if (body.history !== undefined && body.history.lines.length > 0) files[HISTORY_FILE] = { offset: body.history.offset, content: body.history.lines }
  if (body.summary !== undefined) files[SUMMARY_FILE] = { offset: 0, content: [body.summary] }
  const out: Record<string, unknown> = {}
  if (Object.keys(files).length > 0) out.files = files
  if (body.complete !== undefined) {
    out.complete = true
    out.exitcode = body.complete.exitcode
  }
  return JSON.stringify(out)
}

/** W&B knows only finished (exit 0) and failed (non-zero); KILLED gets SIGTERM's shell code. */
export function exitCodeFor (status: TerminalStatus): number {
  return status === 'FINISHED' ? 0 : status === 'FAILED' ? 1 : 143
}

/** Run IDs may not contain `: ; , # ? / '` or surrounding whitespace (`validate_run_id`). */
export function wandbRunName (runId: string): string {
  return runId.trim().replace(/[:;,#?/'\s]/g, '-')
}

/** W&B tags are plain strings; our tags are key/value pairs. */
export function wandbTags (tags: Record<string, string>): string[] {
  return Object.entries(tags).map(([k, v]) => (v === '' ? k : `${k}:${v}`)).sort()
}
