import { EventType } from './proto-root.js'
import { withoutDefaults } from './proto3-defaults.js'
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
 * Serializes and frames one Event through protobufjs reflection, with proto3 defaults left off
 * the wire as Python protobuf does, so the bytes match what PyTorch/TensorBoard would write.
 */
export function encodeEvent (event: EventInit): Buffer {
  const init = withoutDefaults(EventType, event as Readonly<Record<string, unknown>>)
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
