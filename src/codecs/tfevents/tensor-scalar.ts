import { int64ToNumber } from './int64.js'

/** A TensorProto as protobufjs' toObject gives it (longs as strings, bytes as Buffer). */
export interface RawTensor {
  dtype?: number
  tensor_shape?: { dim?: Array<{ size?: string }>, unknown_rank?: boolean }
  tensor_content?: Uint8Array
  half_val?: number[]
  float_val?: number[]
  double_val?: number[]
  int_val?: number[]
  int64_val?: string[]
  uint32_val?: number[]
  bool_val?: boolean[]
}

const DT = { FLOAT: 1, DOUBLE: 2, INT32: 3, UINT8: 4, INT16: 5, INT8: 6, INT64: 9, BOOL: 10, BFLOAT16: 14, HALF: 19, UINT32: 22 } as const

/**
 * The number a one-element numeric tensor holds, read the way TensorBoard's make_ndarray does:
 * tensor_content (raw little-endian) first, else the typed *_val field. Undefined when the
 * tensor is empty, has several elements, or holds a non-numeric type: none of those is a scalar.
 */
export function tensorScalar (t: RawTensor): number | undefined {
  const dims = t.tensor_shape?.dim ?? []
  let elements = 1
  for (const d of dims) elements *= int64ToNumber(d.size, 'tensor_shape.dim.size')
  if (elements !== 1 || t.tensor_shape?.unknown_rank === true) return undefined
  const c = t.tensor_content
  if (c !== undefined && c.length > 0) return fromContent(t.dtype ?? 0, Buffer.from(c.buffer, c.byteOffset, c.byteLength))
  switch (t.dtype) {
    case DT.FLOAT: return one(t.float_val)
    case DT.DOUBLE: return one(t.double_val)
    case DT.INT32: case DT.UINT8: case DT.INT16: case DT.INT8: return one(t.int_val)
    case DT.UINT32: return one(t.uint32_val)
    case DT.INT64: {
      const v = one(t.int64_val)
      return v === undefined ? undefined : int64ToNumber(v, 'int64_val')
    }
    case DT.BOOL: {
      const v = one(t.bool_val)
      return v === undefined ? undefined : Number(v)
    }
    case DT.HALF: {
      const v = one(t.half_val)
      return v === undefined ? undefined : halfToNumber(v)
    }
    case DT.BFLOAT16: {
      const v = one(t.half_val)
      return v === undefined ? undefined : bfloat16ToNumber(v)
    }
    default: return undefined
  }
}

function one<T> (vals: T[] | undefined): T | undefined {
  return vals !== undefined && vals.length === 1 ? vals[0] : undefined
}

function fromContent (dtype: number, b: Buffer): number | undefined {
  const expect = (n: number): boolean => b.length === n
  switch (dtype) {
    case DT.FLOAT: return expect(4) ? b.readFloatLE(0) : undefined
    case DT.DOUBLE: return expect(8) ? b.readDoubleLE(0) : undefined
    case DT.INT32: return expect(4) ? b.readInt32LE(0) : undefined
    case DT.UINT32: return expect(4) ? b.readUInt32LE(0) : undefined
    case DT.INT16: return expect(2) ? b.readInt16LE(0) : undefined
    case DT.INT8: return expect(1) ? b.readInt8(0) : undefined
    case DT.UINT8: return expect(1) ? b.readUInt8(0) : undefined
    case DT.BOOL: return expect(1) ? Number(b.readUInt8(0) !== 0) : undefined
    case DT.INT64: return expect(8) ? int64ToNumber(b.readBigInt64LE(0).toString(), 'tensor_content') : undefined
    case DT.HALF: return expect(2) ? halfToNumber(b.readUInt16LE(0)) : undefined
    case DT.BFLOAT16: return expect(2) ? bfloat16ToNumber(b.readUInt16LE(0)) : undefined
    default: return undefined
  }
}

// Node 20 has no Float16Array; IEEE half: 1 sign, 5 exponent, 10 fraction bits.
function halfToNumber (bits: number): number {
  const sign = (bits & 0x8000) !== 0 ? -1 : 1
  const exp = (bits >> 10) & 0x1f
  const frac = bits & 0x3ff
  if (exp === 0) return sign * frac * 2 ** -24
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN
  return sign * (1 + frac / 1024) * 2 ** (exp - 15)
}

// bfloat16 is the top half of a float32.
function bfloat16ToNumber (bits: number): number {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(((bits & 0xffff) << 16) >>> 0, 0)
  return b.readFloatLE(0)
}
