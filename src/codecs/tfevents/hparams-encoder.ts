import { encodeEvent } from './event-encoder.js'
import { HParamsPluginDataType } from './proto-root.js'
import { withoutDefaults } from './proto3-defaults.js'

export type HparamValue = string | number | boolean
export type RunEndStatus = 'FINISHED' | 'FAILED' | 'KILLED'

// Tag names and plugin name from tensorboard/plugins/hparams/metadata.py; PyTorch's add_hparams
// writes these three values, in this order, into the run it opens for the session.
export const HPARAMS_PLUGIN = 'hparams'
export const EXPERIMENT_TAG = '_hparams_/experiment'
export const SESSION_START_INFO_TAG = '_hparams_/session_start_info'
export const SESSION_END_INFO_TAG = '_hparams_/session_end_info'

const DATA_TYPE = { STRING: 1, BOOL: 2, FLOAT64: 3 } as const
const STATUS = { SUCCESS: 1, FAILURE: 2 } as const

// A killed run did not complete; STATUS_FAILURE says so in the dashboard, where STATUS_UNKNOWN
// would read as "no information" (TensorBoard has no KILLED status).
const END_STATUS: Record<RunEndStatus, number> = {
  FINISHED: STATUS.SUCCESS,
  FAILED: STATUS.FAILURE,
  KILLED: STATUS.FAILURE
}

/**
 * Booleans go out as bool_value/DATA_TYPE_BOOL, as TensorBoard's own hparams API writes them.
 * PyTorch turns them into 1.0/0.0 FLOAT64 only by accident (it tests int before bool), which
 * would lose the type in the dashboard. Numbers and strings are written exactly as PyTorch does.
 */
function hparamType (v: HparamValue): number {
  if (typeof v === 'boolean') return DATA_TYPE.BOOL
  return typeof v === 'number' ? DATA_TYPE.FLOAT64 : DATA_TYPE.STRING
}

function toValue (v: HparamValue): Record<string, HparamValue> {
  if (typeof v === 'boolean') return { bool_value: v }
  return typeof v === 'number' ? { number_value: v } : { string_value: v }
}

function hparamsEvent (wallTimeSec: number, tag: string, data: Record<string, unknown>): Buffer {
  const content = HParamsPluginDataType.encode(HParamsPluginDataType.fromObject(withoutDefaults(HParamsPluginDataType, data))).finish()
  return encodeEvent({
    wall_time: wallTimeSec,
    summary: { value: [{ tag, metadata: { plugin_data: { plugin_name: HPARAMS_PLUGIN, content } } }] }
  })
}

/** `_hparams_/experiment`: which hparams and metric tags the dashboard offers as columns. */
export function encodeHparamsExperiment (wallTimeSec: number, hparams: Record<string, HparamValue>, metricTags: string[]): Buffer {
  return hparamsEvent(wallTimeSec, EXPERIMENT_TAG, {
    experiment: {
      hparam_infos: Object.entries(hparams).map(([name, v]) => ({ name, type: hparamType(v) })),
      metric_infos: metricTags.map((tag) => ({ name: { tag } }))
    }
  })
}

/**
 * `_hparams_/session_start_info`: makes the run a session with these values. The metrics are
 * then looked up as scalar tags of this same run. PyTorch never sets the start time; pass 0 to
 * leave it off the wire likewise.
 */
export function encodeHparamsSessionStart (wallTimeSec: number, hparams: Record<string, HparamValue>, startTimeSecs: number): Buffer {
  const values: Record<string, Record<string, HparamValue>> = {}
  for (const [k, v] of Object.entries(hparams)) values[k] = toValue(v)
  return hparamsEvent(wallTimeSec, SESSION_START_INFO_TAG, {
    session_start_info: { hparams: values, start_time_secs: startTimeSecs }
  })
}

/** `_hparams_/session_end_info`: the session's final status in the dashboard (end time 0 = unset, as PyTorch). */
export function encodeHparamsSessionEnd (wallTimeSec: number, status: RunEndStatus, endTimeSecs: number): Buffer {
  return hparamsEvent(wallTimeSec, SESSION_END_INFO_TAG, {
    session_end_info: { status: END_STATUS[status], end_time_secs: endTimeSecs }
  })
}
