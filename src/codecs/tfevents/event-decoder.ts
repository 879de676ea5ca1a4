import { TfeventsDecodeError } from './errors.js'
import { int64ToNumber } from './int64.js'
import { EventType } from './proto-root.js'
import { type RawTensor, tensorScalar } from './tensor-scalar.js'

export const SCALARS_PLUGIN = 'scalars'
export const DATA_CLASS_SCALAR = 1

export interface SummaryValue {
  tag: string
  /** Which member of the Value's `value` oneof is set: 'simple_value', 'tensor', 'histo', …; absent for metadata-only values. */
  kind?: string
  /**
   * Set when this value alone shows it is a scalar: a simple_value, or a one-element numeric
   * tensor whose own metadata names the `scalars` plugin. Float32 values come back widened.
   */
  scalar?: number
  /**
   * The number of any one-element numeric tensor. Writers may attach metadata to the first value
   * of a tag only, so a reader that remembers metadata per tag classifies later values by this.
   */
  tensorNumber?: number
  pluginName?: string
  /** Raw plugin content bytes (e.g. serialized HParamsPluginData). */
  pluginContent?: Uint8Array
  dataClass?: number
}

export interface DecodedEvent {
  wallTime: number
  step: number
  /** Which member of Event's `what` oneof the record carries, e.g. 'summary'. */
  what?: string
  fileVersion?: string
  sourceWriter?: string
  sessionLog?: { status: number, checkpointPath?: string, msg?: string }
  summary?: SummaryValue[]
}

interface RawValue {
  tag?: string
  value?: string
  simple_value?: number
  tensor?: RawTensor
  metadata?: { plugin_data?: { plugin_name?: string, content?: Uint8Array }, data_class?: number }
}

interface RawEvent {
  wall_time?: number
  step?: string
  what?: string
  file_version?: string
  source_metadata?: { writer?: string }
  session_log?: { status?: number, checkpoint_path?: string, msg?: string }
  summary?: { value?: RawValue[] }
}

/** Decodes one record payload. Throws TfeventsDecodeError for bytes that are not an Event. */
export function decodeEvent (payload: Uint8Array): DecodedEvent {
  let raw: RawEvent
  try {
    // toObject's types are `{ [k: string]: any }`; RawEvent states the shape the .proto guarantees.
    raw = EventType.toObject(EventType.decode(payload), { longs: String, oneofs: true }) as RawEvent
  } catch (err) {
    throw new TfeventsDecodeError(`not a valid Event proto: ${(err as Error).message}`, { cause: err })
  }
  const event: DecodedEvent = { wallTime: raw.wall_time ?? 0, step: int64ToNumber(raw.step, 'Event.step') }
  if (raw.what !== undefined) event.what = raw.what
  if (raw.file_version !== undefined) event.fileVersion = raw.file_version
  if (raw.source_metadata?.writer !== undefined) event.sourceWriter = raw.source_metadata.writer
  if (raw.session_log !== undefined) {
    const s = raw.session_log
    event.sessionLog = {
      status: s.status ?? 0,
      ...(s.checkpoint_path === undefined ? {} : { checkpointPath: s.checkpoint_path }),
      ...(s.msg === undefined ? {} : { msg: s.msg })
    }
  }
  if (raw.summary !== undefined) event.summary = (raw.summary.value ?? []).map(decodeValue)
  return event
}

function decodeValue (raw: RawValue): SummaryValue {
  const value: SummaryValue = { tag: raw.tag ?? '' }
  if (raw.value !== undefined) value.kind = raw.value
  const plugin = raw.metadata?.plugin_data
  if (plugin !== undefined) {
    value.pluginName = plugin.plugin_name ?? ''
    value.pluginContent = plugin.content ?? new Uint8Array(0)
  }
  if (raw.metadata?.data_class !== undefined) value.dataClass = raw.metadata.data_class
  if (raw.simple_value !== undefined) {
    value.scalar = raw.simple_value
  } else if (raw.tensor !== undefined) {
    const n = tensorScalar(raw.tensor)
    if (n !== undefined) {
      value.tensorNumber = n
      if (value.pluginName === SCALARS_PLUGIN) value.scalar = n
    }
  }
  return value
}
