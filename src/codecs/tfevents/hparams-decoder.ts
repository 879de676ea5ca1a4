import { TfeventsDecodeError } from './errors.js'
import { HParamsPluginDataType } from './proto-root.js'

/** google.protobuf.Value as plain JS. */
export type JsonValue = null | number | string | boolean | JsonValue[] | { [k: string]: JsonValue }

export interface DecodedHparams {
  version: number
  experiment?: {
    hparamInfos: Array<{ name: string, type: string }>
    metricInfos: Array<{ group: string, tag: string }>
    timeCreatedSecs: number
  }
  sessionStartInfo?: { hparams: Record<string, JsonValue>, groupName: string, startTimeSecs: number }
  sessionEndInfo?: { status: string, endTimeSecs: number }
}

interface RawValue {
  null_value?: unknown
  number_value?: number
  string_value?: string
  bool_value?: boolean
  struct_value?: { fields?: Record<string, RawValue> }
  list_value?: { values?: RawValue[] }
}

interface RawPluginData {
  version?: number
  experiment?: {
    hparam_infos?: Array<{ name?: string, type?: string | number }>
    metric_infos?: Array<{ name?: { group?: string, tag?: string } }>
    time_created_secs?: number
  }
  session_start_info?: { hparams?: Record<string, RawValue>, group_name?: string, start_time_secs?: number }
  session_end_info?: { status?: string | number, end_time_secs?: number }
}

/** Decodes the `content` of an `hparams` plugin summary value (enums as their names). */
export function decodeHparamsPluginData (content: Uint8Array): DecodedHparams {
  let raw: RawPluginData
  try {
    raw = HParamsPluginDataType.toObject(HParamsPluginDataType.decode(content), { enums: String }) as RawPluginData
  } catch (err) {
    throw new TfeventsDecodeError(`not a valid HParamsPluginData proto: ${(err as Error).message}`, { cause: err })
  }
  const out: DecodedHparams = { version: raw.version ?? 0 }
  if (raw.experiment !== undefined) {
    const e = raw.experiment
    out.experiment = {
      hparamInfos: (e.hparam_infos ?? []).map((h) => ({ name: h.name ?? '', type: String(h.type ?? 'DATA_TYPE_UNSET') })),
      metricInfos: (e.metric_infos ?? []).map((m) => ({ group: m.name?.group ?? '', tag: m.name?.tag ?? '' })),
      timeCreatedSecs: e.time_created_secs ?? 0
    }
  }
  if (raw.session_start_info !== undefined) {
    const s = raw.session_start_info
    const hparams: Record<string, JsonValue> = {}
    for (const [k, v] of Object.entries(s.hparams ?? {})) hparams[k] = toJs(v)
    out.sessionStartInfo = { hparams, groupName: s.group_name ?? '', startTimeSecs: s.start_time_secs ?? 0 }
  }
  if (raw.session_end_info !== undefined) {
    const s = raw.session_end_info
    // An enum number this .proto does not name comes through as a number; keep the field a string.
    out.sessionEndInfo = { status: String(s.status ?? 'STATUS_UNKNOWN'), endTimeSecs: s.end_time_secs ?? 0 }
  }
  return out
}

function toJs (v: RawValue): JsonValue {
  if (v.number_value !== undefined) return v.number_value
  if (v.string_value !== undefined) return v.string_value
  if (v.bool_value !== undefined) return v.bool_value
  if (v.list_value !== undefined) return (v.list_value.values ?? []).map(toJs)
  if (v.struct_value !== undefined) {
    const o: Record<string, JsonValue> = {}
    for (const [k, f] of Object.entries(v.struct_value.fields ?? {})) o[k] = toJs(f)
    return o
  }
  return null
}
