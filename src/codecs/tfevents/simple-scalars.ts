/**
 * The fast path for the record SummaryWriter.add_scalar writes millions of: an Event holding only
 * wall_time (1, double), step (2, varint) and a summary (5) of Values holding only tag (1) and
 * simple_value (2, float). Anything else (file_version, metadata, tensors, a step beyond 2^49, a
 * malformed field) answers undefined, and the caller decodes the record with the general decoder
 * (decodeEvent), which gives the same values for the records this one reads.
 */
export interface SimpleScalars { wallTime: number, step: number, tags: string[], values: number[] }

export function decodeSimpleScalars (buf: Buffer, start: number, end: number): SimpleScalars | undefined {
  const out: SimpleScalars = { wallTime: 0, step: 0, tags: [], values: [] }
  let p = start
  while (p < end) {
    const key = buf[p++] as number
    if (key === 0x09) { // wall_time, fixed64
      if (p + 8 > end) return undefined
      out.wallTime = buf.readDoubleLE(p)
      p += 8
    } else if (key === 0x10) { // step, varint
      let v = 0
      let mul = 1
      for (let i = 0; ; i++) {
        if (p >= end || i === 7) return undefined // beyond 2^49: the general path handles int64
        const b = buf[p++] as number
        v += (b & 0x7f) * mul
        mul *= 128
        if (b < 0x80) break
      }
      out.step = v
    } else if (key === 0x2a) { // summary
      if (p + 1 >= end) return undefined
      let len = buf[p++] as number
      if (len >= 0x80) { // two-byte length (up to 16 KB of values), else the general path
        if (p >= end) return undefined
        const b1 = buf[p++] as number
        if (b1 >= 0x80) return undefined
        len = (len & 0x7f) + b1 * 128
      }
      if (p + len > end || !summary(buf, p, p + len, out)) return undefined
      p += len
    } else {
      return undefined
    }
  }
  return out
}

function summary (buf: Buffer, p: number, end: number, out: SimpleScalars): boolean {
  while (p < end) {
    if (buf[p++] !== 0x0a || p >= end) return false // Summary.value
    const len = buf[p++] as number
    if (len >= 0x80 || p + len > end) return false
    const stop = p + len
    let tag: string | undefined
    let value: number | undefined
    while (p < stop) {
      const key = buf[p++] as number
      if (p >= stop) return false
      if (key === 0x0a) {
        const n = buf[p++] as number
        if (n >= 0x80 || p + n > stop) return false
        tag = buf.toString('utf8', p, p + n)
        p += n
      } else if (key === 0x15) {
        if (p + 4 > stop) return false
        value = buf.readFloatLE(p)
        p += 4
      } else {
        return false
      }
    }
    if (tag === undefined || value === undefined) return false
    out.tags.push(tag)
    out.values.push(value)
  }
  return true
}
