import { maskedCrc32c } from '../../codecs/tfevents/crc32c.js'

const HEADER = 12
const OVERHEAD = 16

/** A record the gateway skipped, reported in the answer (offsets are file offsets). */
export interface CorruptRecord {
  offset: number
  reason: 'length_crc' | 'data_crc' | 'too_large' | 'decode'
  message: string
}

/** A record's file offsets [start, end), and where its payload lies in `bytes` (no copy, no view per record). */
export interface FramedRecord { start: number, end: number, bytes: Buffer, from: number, to: number }

export const payloadOf = (r: FramedRecord): Buffer => r.bytes.subarray(r.from, r.to)

export interface FramedUpload {
  records: FramedRecord[]
  corrupt: CorruptRecord[]
  /** File offset up to which the bytes are settled (records and skipped ones); a torn tail starts here. */
  end: number
  /** Set when a length CRC failed: record boundaries after this offset cannot be known. */
  deadAt?: number
}

/**
 * Frames the TFRecords of `buf`, whose first byte is file offset `base`. Unlike the codec's
 * readRecords, a record with a good length CRC but a bad payload CRC is skipped by its length and
 * reading goes on: the upload must never wedge on one damaged record. A bad length CRC leaves no
 * way to find the next record (TensorBoard does not resync either), so the caller marks the file
 * dead there. A record longer than `maxRecord` could never arrive in one upload: it is skipped
 * by its length, so `end` may lie beyond the bytes received.
 */
export function frameUpload (buf: Buffer, base: number, maxRecord: number): FramedUpload {
  const records: FramedRecord[] = []
  const corrupt: CorruptRecord[] = []
  let pos = 0
  while (buf.length - pos >= HEADER) {
    const at = base + pos
    if (buf.readUInt32LE(pos + 8) !== maskedCrc32c(buf, pos, pos + 8)) {
      corrupt.push({ offset: at, reason: 'length_crc', message: 'length CRC mismatch: the rest of the file cannot be framed and is ignored' })
      return { records, corrupt, end: base + buf.length, deadAt: at }
    }
    const length = buf.readUInt32LE(pos) + buf.readUInt32LE(pos + 4) * 0x1_0000_0000
    if (length + OVERHEAD > maxRecord) {
      corrupt.push({ offset: at, reason: 'too_large', message: `record of ${length} bytes is larger than an upload may be; skipped` })
      return { records, corrupt, end: at + length + OVERHEAD }
    }
    if (length + OVERHEAD > buf.length - pos) break // torn tail: re-sent from its start
    const start = pos + HEADER
    const stop = start + length
    if (buf.readUInt32LE(stop) !== maskedCrc32c(buf, start, stop)) {
      corrupt.push({ offset: at, reason: 'data_crc', message: 'payload CRC mismatch; record skipped' })
    } else {
      records.push({ start: at, end: at + length + OVERHEAD, bytes: buf, from: start, to: stop })
    }
    pos = stop + 4
  }
  return { records, corrupt, end: base + pos }
}
