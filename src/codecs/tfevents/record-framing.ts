import { maskedCrc32c } from './crc32c.js'
import { TfeventsCorruptError } from './errors.js'

/** Bytes of framing around each payload: u64 length, u32 length CRC, then u32 payload CRC. */
export const RECORD_OVERHEAD = 16
const HEADER = 12

/** The file ends inside a record: normal for a file still being written; retry from `offset` once it grows. */
export interface TfeventsTruncation {
  kind: 'truncated'
  offset: number
}

export interface ReadRecordsResult {
  /** Payloads of the complete, CRC-valid records, as views into the input buffer (no copies). */
  records: Buffer[]
  /** Offset just after the last complete record: where the next read should resume. */
  offset: number
  /** Why reading stopped before the end of the buffer; absent when every byte was consumed. */
  stop?: TfeventsTruncation | TfeventsCorruptError
}

/** Frames one serialized Event as a TFRecord. */
export function frameRecord (payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(payload.length + RECORD_OVERHEAD)
  out.writeUInt32LE(payload.length >>> 0, 0)
  // Payloads never reach 4 GiB, but the high word must still be written explicitly.
  out.writeUInt32LE(Math.floor(payload.length / 0x1_0000_0000), 4)
  out.writeUInt32LE(maskedCrc32c(out, 0, 8), 8)
  out.set(payload, HEADER)
  out.writeUInt32LE(maskedCrc32c(payload), HEADER + payload.length)
  return out
}

/**
 * Reads the complete records of `buf` from `offset`. Like TensorBoard, it stops at the first bad
 * CRC rather than scanning ahead for the next plausible record: a resync could surface garbage
 * as data, and TensorBoard would not show those records anyway.
 */
export function readRecords (buf: Buffer, offset = 0): ReadRecordsResult {
  const records: Buffer[] = []
  let pos = Math.max(0, Math.trunc(offset))
  while (pos < buf.length) {
    if (buf.length - pos < HEADER) return { records, offset: pos, stop: { kind: 'truncated', offset: pos } }
    const stored = buf.readUInt32LE(pos + 8)
    const actual = maskedCrc32c(buf, pos, pos + 8)
    if (stored !== actual) return { records, offset: pos, stop: new TfeventsCorruptError('length', pos, stored, actual) }
    // Compared as a double: exact below 2^53, and anything larger is beyond any buffer anyway.
    const length = buf.readUInt32LE(pos) + buf.readUInt32LE(pos + 4) * 0x1_0000_0000
    if (length + RECORD_OVERHEAD > buf.length - pos) return { records, offset: pos, stop: { kind: 'truncated', offset: pos } }
    const start = pos + HEADER
    const end = start + length
    const storedData = buf.readUInt32LE(end)
    const actualData = maskedCrc32c(buf, start, end)
    if (storedData !== actualData) {
      return { records, offset: pos, stop: new TfeventsCorruptError('data', pos, storedData, actualData) }
    }
    records.push(buf.subarray(start, end))
    pos = end + 4
  }
  return { records, offset: pos }
}
