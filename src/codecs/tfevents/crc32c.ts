// CRC-32C (Castagnoli), the checksum TFRecord uses; zlib's CRC-32 (Node's zlib.crc32) is a
// different polynomial, and Node 20 has no built-in CRC-32C.

const POLY = 0x82f63b78 // reflected Castagnoli polynomial
const MASK_DELTA = 0xa282ead8 // TensorFlow's kMaskDelta

// Slicing-by-4: four 256-entry tables let the loop consume a 32-bit word per step, which is
// roughly 3x the byte-at-a-time loop and keeps the record writer's CRC cost well below its
// encoding cost.
const TABLES = buildTables()
const T0 = TABLES[0]
const T1 = TABLES[1]
const T2 = TABLES[2]
const T3 = TABLES[3]

function buildTables (): [Uint32Array, Uint32Array, Uint32Array, Uint32Array] {
  const t: [Uint32Array, Uint32Array, Uint32Array, Uint32Array] =
    [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)]
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? (c >>> 1) ^ POLY : c >>> 1
    t[0][n] = c >>> 0
  }
  for (let n = 0; n < 256; n++) {
    let c = t[0][n] as number
    for (let k = 1; k < 4; k++) {
      c = (t[0][c & 0xff] as number) ^ (c >>> 8)
      t[k as 1 | 2 | 3][n] = c >>> 0
    }
  }
  return t
}

/** CRC-32C of `data[start, end)`. */
export function crc32c (data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0xffffffff
  let i = start
  const stop4 = end - ((end - i) & 3)
  while (i < stop4) {
    crc ^= (data[i] as number) | ((data[i + 1] as number) << 8) |
      ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24)
    crc = (T3[crc & 0xff] as number) ^ (T2[(crc >>> 8) & 0xff] as number) ^
      (T1[(crc >>> 16) & 0xff] as number) ^ (T0[crc >>> 24] as number)
    i += 4
  }
  while (i < end) crc = (T0[(crc ^ (data[i++] as number)) & 0xff] as number) ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/**
 * TFRecord stores CRCs masked (rotate right 15, add a constant) because a CRC computed over data
 * that itself embeds CRCs is weak; readers must unmask before comparing.
 */
export function mask (crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0
}

export function unmask (masked: number): number {
  const rot = (masked - MASK_DELTA) >>> 0
  return ((rot >>> 17) | (rot << 15)) >>> 0
}

export function maskedCrc32c (data: Uint8Array, start = 0, end = data.length): number {
  return mask(crc32c(data, start, end))
}
