/** Which checksum of a record failed: the one over the 8 length bytes or the one over the payload. */
export type TfeventsCrcCheck = 'length' | 'data'

/**
 * A record whose CRC does not match. TensorBoard stops reading the file at such a record and
 * never resyncs, so everything after it is invisible: the writer must treat this as a damaged file.
 */
export class TfeventsCorruptError extends Error {
  readonly code = 'TG_TFEVENTS_CORRUPT'
  readonly kind = 'corrupt'
  /** Offset of the start of the damaged record (in the buffer's coordinates, i.e. the file's when reading a whole file). */
  readonly offset: number
  readonly check: TfeventsCrcCheck
  readonly expected: number
  readonly actual: number
  file: string | undefined

  constructor (check: TfeventsCrcCheck, offset: number, expected: number, actual: number, file?: string) {
    super(`tfevents record at offset ${offset}${file === undefined ? '' : ` of ${file}`}: ${check} CRC mismatch ` +
      `(stored ${hex(expected)}, computed ${hex(actual)})`)
    this.name = 'TfeventsCorruptError'
    this.offset = offset
    this.check = check
    this.expected = expected
    this.actual = actual
    this.file = file
  }
}

/** A payload whose CRC is fine but which is not a valid Event, or holds a value JS cannot represent. */
export class TfeventsDecodeError extends Error {
  readonly code = 'TG_TFEVENTS_DECODE'

  constructor (message: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = 'TfeventsDecodeError'
  }
}

function hex (n: number): string {
  return '0x' + n.toString(16).padStart(8, '0')
}
