import t from 'tap'
import { crc32c, mask, maskedCrc32c, unmask } from '../../../src/codecs/tfevents/index.js'

const le64 = (n: number): Buffer => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(BigInt(n))
  return b
}

// Bit-at-a-time CRC-32C, independent of the table code under test.
function bitwiseCrc32c (data: Uint8Array): number {
  let crc = 0xffffffff
  for (const byte of data) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = (crc & 1) !== 0 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1
  }
  return (crc ^ 0xffffffff) >>> 0
}

const hex = (n: number): string => n.toString(16).padStart(8, '0')

t.test('reference test vectors', async (t) => {
  const vectors: Array<[string, Uint8Array, string, string | null]> = [
    ['"123456789"', Buffer.from('123456789'), 'e3069283', null],
    ['empty', new Uint8Array(0), '00000000', 'a282ead8'],
    ['le64(0)', le64(0), '8c28b28a', '07980329'],
    ['le64(24)', le64(24), '4a65bfe4', '224b7fa3'],
    ['le64(72)', le64(72), 'd4137d62', '9d4892fe'],
    ['1a 11 "CRC test, one two"', Buffer.concat([Buffer.from([0x1a, 0x11]), Buffer.from('CRC test, one two')]), 'f2d95a88', '5794d08a']
  ]
  for (const [name, input, crc, masked] of vectors) {
    t.equal(hex(crc32c(input)), crc, `crc32c ${name}`)
    if (masked !== null) {
      t.equal(hex(maskedCrc32c(input)), masked, `masked ${name}`)
      t.equal(hex(unmask(parseInt(masked, 16))), crc, `unmask ${name}`)
    }
  }
})

t.test('table CRC equals the bitwise CRC on every length and alignment', async (t) => {
  const data = Buffer.alloc(300)
  for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 0xff
  let mismatches = 0
  for (let start = 0; start < 5; start++) {
    for (let end = start; end <= data.length; end++) {
      if (crc32c(data, start, end) !== bitwiseCrc32c(data.subarray(start, end))) mismatches++
    }
  }
  t.equal(mismatches, 0)
})

t.test('unmask inverts mask for arbitrary 32-bit values', async (t) => {
  for (const v of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xa282ead8, 0x12345678]) {
    t.equal(unmask(mask(v)), v, hex(v))
  }
  t.equal(mask(0), 0xa282ead8, 'mask of 0 is the delta')
})
