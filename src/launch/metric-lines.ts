/**
 * The trainer's metric log line: the one contract between `containers/training/train.py`, the
 * SageMaker MetricDefinitions we send, and the local launcher's log scraper.
 *
 * FORMAT (one line on stdout per logging event, nothing else on the line):
 *
 *     epoch=3 step=1200 train_loss=0.41 lr=0.0003
 *     epoch=3 step=1200 val_loss=0.52 val_dice=0.73
 *
 * - `key=value` pairs separated by single spaces; keys match `[a-z][a-z0-9_]*`.
 * - `epoch` and `step` are non-negative integers; `step` is the global optimiser step and is the
 *   `step` the callback client sends; `epoch` is 0-based.
 * - every other value is a number written by Python's `repr(float(x))` or `f"{x:.6g}"`
 *   (`0.41`, `1e-05`, `-3.5`, `nan`, `inf`). SageMaker skips `nan`/`inf` (the regexes need digits).
 * - the keys in METRIC_KEYS below get a SageMaker metric; others may appear and are ignored by
 *   SageMaker but still parsed by `parseMetricLine`.
 *
 * Python, for the trainer author:
 *
 *     print(" ".join([f"epoch={epoch}", f"step={step}"] + [f"{k}={v!r}" for k, v in m.items()]), flush=True)
 */

/** The metric keys the trainer logs and the SageMaker metric name each becomes. */
export const METRIC_KEYS = {
  epoch: 'epoch',
  train_loss: 'train:loss',
  lr: 'train:lr',
  val_loss: 'val:loss',
  val_dice: 'val:dice'
} as const

export type MetricKey = keyof typeof METRIC_KEYS

/**
 * A number as Python prints it. One capture group (the whole number), because SageMaker reads
 * the first group; `\b` stops `loss=` matching inside `train_loss=`.
 */
const NUMBER = '([-+]?[0-9]*\\.?[0-9]+([eE][-+]?[0-9]+)?)'

/** The regex SageMaker applies to each log line for `key`. */
export function metricRegex (key: string): string {
  return `\\b${key}=${NUMBER}`
}

export interface MetricDefinition {
  name: string
  regex: string
}

/** The MetricDefinitions sent when a job spec gives none. */
export const DEFAULT_METRIC_DEFINITIONS: readonly MetricDefinition[] = Object.freeze(
  Object.entries(METRIC_KEYS).map(([key, name]) => Object.freeze({ name, regex: metricRegex(key) }))
)

export interface MetricLine {
  epoch?: number
  step?: number
  values: Record<string, number>
}

const PAIR = /^([a-z][a-z0-9_]*)=(\S+)$/

/** Parses one line in the format above; `undefined` when the line is anything else. */
export function parseMetricLine (line: string): MetricLine | undefined {
  const tokens = line.trim().split(' ')
  if (tokens.length === 0 || tokens[0] === '') return undefined
  const out: MetricLine = { values: {} }
  for (const token of tokens) {
    const m = PAIR.exec(token)
    if (m === null) return undefined
    const [, key = '', raw = ''] = m
    const value = parsePythonNumber(raw)
    if (value === undefined) return undefined
    if (key === 'epoch' || key === 'step') {
      if (!Number.isSafeInteger(value) || value < 0) return undefined
      out[key] = value
    } else {
      out.values[key] = value
    }
  }
  return out
}

/** Writes a line the way the trainer does (numbers in their shortest round-trip form). */
export function formatMetricLine (line: MetricLine): string {
  const parts: string[] = []
  if (line.epoch !== undefined) parts.push(`epoch=${line.epoch}`)
  if (line.step !== undefined) parts.push(`step=${line.step}`)
  for (const [k, v] of Object.entries(line.values)) parts.push(`${k}=${formatPythonNumber(v)}`)
  return parts.join(' ')
}

function parsePythonNumber (raw: string): number | undefined {
  if (raw === 'nan') return NaN
  if (raw === 'inf') return Infinity
  if (raw === '-inf') return -Infinity
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw)) return undefined
  return Number(raw)
}

function formatPythonNumber (v: number): string {
  if (Number.isNaN(v)) return 'nan'
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf'
  return String(v)
}
