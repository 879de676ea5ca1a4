import type { AddressedRecord, MetricRecord } from '../../domain/records.js'
import type { ParamValue } from '../../domain/param-value.js'
import { encodeFileVersion, encodeHparamsExperiment, encodeHparamsSessionEnd, encodeHparamsSessionStart, encodeScalars, type HparamValue, type ScalarValue } from '../../codecs/tfevents/index.js'
import type { SinkRun } from '../sink.js'
import type { TensorboardState } from './tensorboard-sink.js'

/**
 * HParams hold numbers, booleans and strings (the dashboard sorts and filters each its own way);
 * a list, an object or null is shown as its JSON, as `add_hparams` users write them by hand.
 */
export function hparamValue (v: ParamValue): HparamValue {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v
  return JSON.stringify(v)
}

/**
 * Pure: the bytes to append for `records`, and the state after them (offset not yet advanced).
 * Metrics become one Event per step (consecutive records of the same step share it); params are
 * held until the first metric or status, then written as the HParams session (TensorBoard keeps
 * only the first session_start_info of a run, so it is written once, with every param known).
 */
export function encodeEvents (state: TensorboardState, records: AddressedRecord[], run: SinkRun, needHeader: boolean): { bytes: Buffer, next: TensorboardState } {
  const parts: Buffer[] = []
  const next: TensorboardState = { ...state, params: { ...state.params } }
  if (needHeader) parts.push(encodeFileVersion(run.createdAt / 1000))
  const groupRoot = run.group !== null && run.parentRunId === null
  const startSession = (wallTime: number): void => {
    if (next.sessionWritten) return
    if (groupRoot) {
      // A group's root run (a tuning job) is no session itself: it tells the HParams dashboard
      // which hparams its member runs compare and which metric (the objective) ranks them.
      parts.push(groupExperiment(wallTime, run.tags))
      next.sessionWritten = true
      next.params = {}
      return
    }
    const hp: Record<string, HparamValue> = {}
    for (const [k, v] of Object.entries(next.params)) hp[k] = hparamValue(v)
    parts.push(encodeHparamsSessionStart(wallTime, hp, run.createdAt / 1000))
    next.sessionWritten = true
    next.params = {}
  }
  let i = 0
  while (i < records.length) {
    const r = records[i] as AddressedRecord
    if (r.kind === 'param') {
      if (!next.sessionWritten) next.params[r.key] = r.value
      i++
    } else if (r.kind === 'metric') {
      startSession(r.timestamp / 1000)
      const values: ScalarValue[] = []
      const step = r.step
      let j = i
      for (; j < records.length; j++) {
        const m = records[j] as AddressedRecord
        if (m.kind !== 'metric' || m.step !== step) break
        values.push({ tag: m.key, value: (m as MetricRecord).value })
      }
      parts.push(encodeScalars(r.timestamp / 1000, step, values))
      i = j
    } else if (r.kind === 'status') {
      startSession(r.timestamp / 1000)
      if (!groupRoot) parts.push(encodeHparamsSessionEnd(r.timestamp / 1000, r.status, r.timestamp / 1000))
      i++
    } else {
      i++ // tags have no TensorBoard form
    }
  }
  return { bytes: parts.length === 1 ? parts[0] as Buffer : Buffer.concat(parts), next }
}

/** Tags a group's root run carries for TensorBoard: hparam name → type, and the ranking metric. */
export const HPARAM_TYPES_TAG = 'trackgate.hparam_types'
export const OBJECTIVE_TAG = 'trackgate.objective'

const EXAMPLE: Record<string, HparamValue> = { number: 0, string: '', boolean: false }

function groupExperiment (wallTime: number, tags: Record<string, string>): Buffer {
  let types: Record<string, string> = {}
  try { types = JSON.parse(tags[HPARAM_TYPES_TAG] ?? '{}') as Record<string, string> } catch {}
  const hparams: Record<string, HparamValue> = {}
  for (const [name, type] of Object.entries(types)) hparams[name] = EXAMPLE[type] ?? ''
  const objective = tags[OBJECTIVE_TAG]
  return encodeHparamsExperiment(wallTime, hparams, objective === undefined ? [] : [objective])
}
