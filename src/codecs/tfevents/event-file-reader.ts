import { readFile } from 'node:fs/promises'
import { TfeventsDecodeError } from './errors.js'
import { type DecodedEvent, decodeEvent } from './event-decoder.js'
import { type ReadRecordsResult, readRecords } from './record-framing.js'

export interface EventFileContents {
  events: DecodedEvent[]
  /** Byte offset after the last complete record read. */
  offset: number
  /** As in readRecords: a truncated tail (file still being written) or the first corrupt record. */
  stop?: ReadRecordsResult['stop']
}

/**
 * Reads and decodes a whole event file. Records after a corrupt one are not returned, as in
 * TensorBoard; the corruption is reported in `stop` (with the file name) for the caller to judge.
 */
export async function readEventFile (path: string): Promise<EventFileContents> {
  const buf = await readFile(path)
  const { records, offset, stop } = readRecords(buf)
  const events: DecodedEvent[] = []
  for (const record of records) {
    try {
      events.push(decodeEvent(record))
    } catch (err) {
      const at = record.byteOffset - buf.byteOffset - 12
      throw new TfeventsDecodeError(`${path}: record at offset ${at}: ${(err as Error).message}`, { cause: err })
    }
  }
  if (stop !== undefined && stop.kind === 'corrupt') stop.file = path
  return { events, offset, ...(stop === undefined ? {} : { stop }) }
}
