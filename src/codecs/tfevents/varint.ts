// Protobuf varints for the hand-written scalar encoder. Steps go up to 2^53, beyond the 32 bits
// that JS bitwise operators handle, hence the arithmetic instead of shifts above 2^31.

const TWO_64 = 1n << 64n

/** Bytes needed for the varint of a safe integer (negative int64 take 10, as two's complement). */
export function varintLength (n: number): number {
  if (n < 0) return 10
  let len = 1
  while (n >= 128) {
    n = Math.floor(n / 128)
    len++
  }
  return len
}

/** Writes the varint of a safe integer at `pos`; returns the position after it. */
export function writeVarint (buf: Uint8Array, pos: number, n: number): number {
  if (n < 0) return writeBigVarint(buf, pos, TWO_64 + BigInt(n))
  while (n >= 128) {
    buf[pos++] = (n % 128) | 0x80
    n = Math.floor(n / 128)
  }
  buf[pos++] = n
  return pos
}

function writeBigVarint (buf: Uint8Array, pos: number, n: bigint): number {
  while (n >= 128n) {
    buf[pos++] = Number(n & 0x7fn) | 0x80
    n >>= 7n
  }
  buf[pos++] = Number(n)
  return pos
}
