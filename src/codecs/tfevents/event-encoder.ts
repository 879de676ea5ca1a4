import { EventType } from './proto-root.js'
import { frameRecord } from './record-framing.js'

export const FILE_VERSION = 'brain.Event:2'
export const DEFAULT_WRITER = 'trackgate'

export interface PluginDataInit { plugin_name: string, content?: Uint8Array }

export interface SummaryValueInit {
  tag: string
  simple_value?: number
  tensor?: {
    dtype: number
    tensor_shape?: { dim?: Array<{ size: number }> }
    tensor_content?: Uint8Array
    float_val?: number[]
    double_val?: number[]
  }
  metadata?: { plugin_data?: PluginDataInit, data_class?: number }
}

/** An Event as protobufjs' `fromObject` takes it, snake_case like the .proto. */
export interface EventInit {
  wall_time?: number
  step?: number
  file_version?: string
  summary?: { value: SummaryValueInit[] }
  session_log?: { status?: number, checkpoint_path?: string, msg?: string }
  source_metadata?: { writer: string }
}

/**
 * Serializes and frames one Event through protobufjs reflection. protobufjs writes every field
 * that is present on the object, even a proto3 default, while Python protobuf omits defaults;
 * dropping zero wall_time/step here keeps our bytes identical to what PyTorch/TensorBoard write.
 * Callers building nested messages must likewise leave default-valued fields out.
 */
export function encodeEvent (event: EventInit): Buffer {
  const init: EventInit = { ...event }
  if (init.wall_time === 0) delete init.wall_time
  if (init.step === 0) delete init.step
  return frameRecord(EventType.encode(EventType.fromObject(init)).finish())
}

/**
 * The first record of every event file. TensorBoard's Python loader uses file_version >= 2 to
 * decide that a repeated step is not a restart (no purge), so it must come before any data.
 * Pass `writer: ''` to omit source_metadata (proto3 drops empty strings).
 */
export function encodeFileVersion (wallTimeSec: number, writer = DEFAULT_WRITER): Buffer {
  return encodeEvent({
    wall_time: wallTimeSec,
    file_version: FILE_VERSION,
    ...(writer === '' ? {} : { source_metadata: { writer } })
  })
}
