import { maskedCrc32c } from './crc32c.js'
import { RECORD_OVERHEAD } from './record-framing.js'
import { varintLength, writeVarint } from './varint.js'

export interface ScalarValue { tag: string, value: number }

// Format choice: `simple_value` (Summary.Value field 2, float32), not the TF2 tensor form.
// Both TensorBoard loaders (Python and the Rust data server) read either one, and both migrate
// simple_value to a DT_FLOAT tensor with `scalars` metadata and DATA_CLASS_SCALAR on read
// (reference §2, §7), so the dashboard result is the same and the precision is the same
// (DT_FLOAT is float32 too). simple_value wins on everything else: it is what PyTorch writes by
// default, every third-party reader (tbparse, TF's summary_iterator) understands it, and it is
// stateless: the tensor form needs ~25 bytes of metadata per value, or writer state to send the
// metadata only once per tag per file, which readers must then remember per file.

const TAG_CACHE_LIMIT = 4096
const tagPrefixes = new Map<string, Buffer>()

/** `Summary.value` key, value length, the `tag` field and the simple_value key: all fixed per tag. */
function tagPrefix (tag: string): Buffer {
  let prefix = tagPrefixes.get(tag)
  if (prefix !== undefined) return prefix
  const tagLen = Buffer.byteLength(tag)
  // proto3 omits an empty tag, and so must we to stay byte-identical with Python.
  const tagField = tagLen === 0 ? 0 : 1 + varintLength(tagLen) + tagLen
  const valueLen = tagField + 5
  prefix = Buffer.allocUnsafe(1 + varintLength(valueLen) + tagField + 1)
  let p = 0
  prefix[p++] = 0x0a
  p = writeVarint(prefix, p, valueLen)
  if (tagLen > 0) {
    prefix[p++] = 0x0a
    p = writeVarint(prefix, p, tagLen)
    p += prefix.write(tag, p, 'utf8')
  }
  prefix[p] = 0x15
  // Tags are few and reused every step; the cap only guards against a caller minting endless tags.
  if (tagPrefixes.size >= TAG_CACHE_LIMIT) tagPrefixes.clear()
  tagPrefixes.set(tag, prefix)
  return prefix
}

/**
 * One framed Event holding all `values` for `step`, byte-identical to protobufjs' (and Python's)
 * serialization of `Event{wall_time, step, summary{value[{tag, simple_value}]}}`. Hand-written
 * because this is the sink's hot path. Throws RangeError for a step that is not a safe integer
 * (int64 beyond 2^53 cannot be represented exactly). An empty `values` gives an empty buffer: an Event with an
 * empty summary carries nothing TensorBoard shows.
 */
export function encodeScalars (wallTimeSec: number, step: number, values: ReadonlyArray<ScalarValue>): Buffer {
  if (!Number.isSafeInteger(step)) throw new RangeError(`tfevents step must be a safe integer, got ${step}`)
  if (values.length === 0) return Buffer.alloc(0)
  const prefixes = new Array<Buffer>(values.length)
  let summaryLen = 0
  for (let i = 0; i < values.length; i++) {
    const prefix = tagPrefix((values[i] as ScalarValue).tag)
    prefixes[i] = prefix
    summaryLen += prefix.length + 4
  }
  const hasTime = wallTimeSec !== 0
  const payloadLen = (hasTime ? 9 : 0) + (step !== 0 ? 1 + varintLength(step) : 0) +
    1 + varintLength(summaryLen) + summaryLen
  const out = Buffer.allocUnsafe(payloadLen + RECORD_OVERHEAD)
  out.writeUInt32LE(payloadLen, 0)
  out.writeUInt32LE(0, 4)
  out.writeUInt32LE(maskedCrc32c(out, 0, 8), 8)
  let p = 12
  if (hasTime) {
    out[p++] = 0x09
    out.writeDoubleLE(wallTimeSec, p)
    p += 8
  }
  if (step !== 0) {
    out[p++] = 0x10
    p = writeVarint(out, p, step)
  }
  out[p++] = 0x2a
  p = writeVarint(out, p, summaryLen)
  for (let i = 0; i < values.length; i++) {
    const prefix = prefixes[i] as Buffer
    // A byte loop beats Buffer#copy's native call for these ~20-byte prefixes.
    for (let j = 0; j < prefix.length; j++) out[p++] = prefix[j] as number
    out.writeFloatLE((values[i] as ScalarValue).value, p)
    p += 4
  }
  out.writeUInt32LE(maskedCrc32c(out, 12, p), p)
  return out
}
