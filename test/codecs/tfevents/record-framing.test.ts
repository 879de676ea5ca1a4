import t from 'tap'
import { frameRecord, readRecords, TfeventsCorruptError } from '../../../src/codecs/tfevents/index.js'

const payloads = [Buffer.from('first payload'), Buffer.alloc(0), Buffer.from('third, a little longer than the others')]
const file = Buffer.concat(payloads.map(frameRecord))
// Record i starts after the earlier records, each 16 bytes of framing plus its payload.
const flip = (buf: Buffer, pos: number, bits: number): void => { buf.writeUInt8(buf.readUInt8(pos) ^ bits, pos) }
const starts = payloads.map((_, i) => payloads.slice(0, i).reduce((n, p) => n + p.length + 16, 0))

t.test('frameRecord matches the layout and readRecords returns every payload', async (t) => {
  const rec = frameRecord(Buffer.from('abc'))
  t.equal(rec.length, 3 + 16)
  t.equal(rec.readBigUInt64LE(0), 3n, 'u64 little-endian length')
  const { records, offset, stop } = readRecords(file)
  t.same(records.map((r) => r.toString()), payloads.map((p) => p.toString()))
  t.equal(offset, file.length)
  t.equal(stop, undefined)
})

t.test('a tail cut anywhere reports truncation at the start of the incomplete record', async (t) => {
  for (let cut = 0; cut < file.length; cut++) {
    const { records, offset, stop } = readRecords(file.subarray(0, cut))
    const complete = starts.filter((s, i) => s + (payloads[i] as Buffer).length + 16 <= cut).length
    const expectedOffset = complete === payloads.length ? file.length : (starts[complete] as number)
    if (records.length !== complete || offset !== expectedOffset) t.fail(`cut ${cut}: ${records.length} records, offset ${offset}`)
    if (cut === expectedOffset) {
      if (stop !== undefined) t.fail(`cut ${cut} at a record boundary must not report a stop`)
    } else if (stop?.kind !== 'truncated' || stop.offset !== expectedOffset) {
      t.fail(`cut ${cut}: expected truncation at ${expectedOffset}, got ${JSON.stringify(stop)}`)
    }
  }
  t.pass('checked every cut point')
})

t.test('resuming from the returned offset reads the rest once the file has grown', async (t) => {
  const first = readRecords(file.subarray(0, (starts[1] as number) + 5))
  t.equal(first.records.length, 1)
  t.same(first.stop, { kind: 'truncated', offset: starts[1] })
  const rest = readRecords(file, first.offset)
  t.same(rest.records.map((r) => r.toString()), payloads.slice(1).map((p) => p.toString()))
  t.equal(rest.stop, undefined)
})

t.test('a bad length CRC is a TfeventsCorruptError naming the check and the record offset', async (t) => {
  const bad = Buffer.from(file)
  flip(bad, (starts[1] as number) + 9, 0x01)
  const { records, offset, stop } = readRecords(bad)
  t.equal(records.length, 1, 'records before the damage are returned')
  t.equal(offset, starts[1])
  t.ok(stop instanceof TfeventsCorruptError)
  t.match(stop, { kind: 'corrupt', code: 'TG_TFEVENTS_CORRUPT', check: 'length', offset: starts[1] })
  t.match((stop as Error).message, /offset 29: length CRC mismatch/)
})

t.test('a damaged length field also fails the length CRC rather than reading a bogus size', async (t) => {
  const bad = Buffer.from(file)
  bad[(starts[1] as number) + 6] = 0xff
  t.match(readRecords(bad).stop, { kind: 'corrupt', check: 'length' })
})

t.test('a bad data CRC or a damaged payload byte is a data CRC error', async (t) => {
  for (const where of ['crc', 'payload'] as const) {
    const bad = Buffer.from(file)
    const s = starts[2] as number
    const pos = where === 'crc' ? s + 16 + (payloads[2] as Buffer).length - 2 : s + 14
    flip(bad, pos, 0x80)
    const { records, offset, stop } = readRecords(bad)
    t.equal(records.length, 2, where)
    t.equal(offset, s, where)
    t.match(stop, { kind: 'corrupt', check: 'data', offset: s }, where)
  }
})

t.test('fuzz: random and garbled buffers never throw and always end in a documented state', async (t) => {
  let seed = 0x2545f491
  const rand = (): number => {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5
    return (seed >>> 0) / 0x1_0000_0000
  }
  let runs = 0
  for (let i = 0; i < 3000; i++) {
    let buf: Buffer
    if (i % 3 === 0) {
      buf = Buffer.alloc(Math.floor(rand() * 200))
      for (let j = 0; j < buf.length; j++) buf[j] = Math.floor(rand() * 256)
    } else {
      buf = Buffer.from(file.subarray(0, Math.floor(rand() * (file.length + 1))))
      for (let k = 0; k < 1 + Math.floor(rand() * 3) && buf.length > 0; k++) flip(buf, Math.floor(rand() * buf.length), 1 + Math.floor(rand() * 255))
    }
    const result = readRecords(buf, Math.floor(rand() * 4) === 0 ? Math.floor(rand() * 40) : 0)
    const ok = result.stop === undefined
      ? result.offset >= buf.length
      : (result.stop.kind === 'truncated' || result.stop instanceof TfeventsCorruptError) && result.offset <= buf.length
    if (!ok) t.fail(`iteration ${i}: ${JSON.stringify(result.stop)} at ${result.offset} of ${buf.length}`)
    runs++
  }
  t.equal(runs, 3000)
})
