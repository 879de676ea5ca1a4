import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import {
  encodeEvent, encodeFileVersion, encodeHparamsExperiment, encodeHparamsSessionEnd, encodeHparamsSessionStart,
  encodeScalars, listRuns, readEventFile, readScalars, TfeventsCorruptError
} from '../../../src/codecs/tfevents/index.js'

const T = 1700000000

async function tempLogdir (t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tfevents-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  return dir
}

const fileOf = (...records: Buffer[]): Buffer => Buffer.concat([encodeFileVersion(T), ...records])

t.test('runs are directories holding event files, named like TensorBoard', async (t) => {
  const dir = await tempLogdir(t)
  await mkdir(join(dir, 'sub/a'), { recursive: true })
  await mkdir(join(dir, 'empty/deeper'), { recursive: true })
  // Written out of name order: the reader must go by name, which for real writers is creation order.
  await writeFile(join(dir, 'sub/a/events.out.tfevents.0000000002.h.1.0'), fileOf(encodeScalars(T + 2, 2, [{ tag: 'm', value: 2 }])))
  await writeFile(join(dir, 'sub/a/events.out.tfevents.0000000001.h.1.0'), fileOf(encodeScalars(T + 1, 1, [{ tag: 'm', value: 1 }])))
  await writeFile(join(dir, 'events.out.tfevents.0000000001.h.2.0'), fileOf(encodeScalars(T, 5, [{ tag: 'root', value: 0.5 }])))
  await writeFile(join(dir, 'sub/events.out.tfevents.1.profile-empty'), fileOf())
  await writeFile(join(dir, 'empty/deeper/notes.txt'), 'not an event file')

  const runs = await listRuns(dir)
  t.same([...runs.keys()].sort(), ['.', 'sub/a'])
  t.same(runs.get('sub/a')?.map((f) => f.slice(-28)), ['events.out.tfevents.0000000001.h.1.0', 'events.out.tfevents.0000000002.h.1.0'].map((f) => f.slice(-28)))
  t.same(await readScalars(dir), [
    { run: '.', tag: 'root', step: 5, value: 0.5, wallTime: T },
    { run: 'sub/a', tag: 'm', step: 1, value: 1, wallTime: T + 1 },
    { run: 'sub/a', tag: 'm', step: 2, value: 2, wallTime: T + 2 }
  ])
})

t.test('scalar tags only: metadata remembered per tag, hparams and other plugins skipped', async (t) => {
  const dir = await tempLogdir(t)
  const tensor = (tag: string, v: number, plugin?: string): Buffer => encodeEvent({
    wall_time: T,
    step: v,
    summary: { value: [{ tag, tensor: { dtype: 1, float_val: [v] }, ...(plugin === undefined ? {} : { metadata: { plugin_data: { plugin_name: plugin } } }) }] }
  })
  await writeFile(join(dir, 'events.out.tfevents.1.h'), fileOf(
    encodeHparamsExperiment(T, { lr: 0.1 }, ['acc']),
    encodeHparamsSessionStart(T, { lr: 0.1 }, T),
    tensor('new_style', 1, 'scalars'),
    tensor('new_style', 2), // metadata only on the first value, as the proto allows
    tensor('other', 3, 'custom_plugin'),
    tensor('other', 4),
    encodeScalars(T, 9, [{ tag: 'acc', value: 0.75 }]),
    encodeHparamsSessionEnd(T, 'FINISHED', T + 1)
  ))
  t.same((await readScalars(dir)).map((p) => [p.tag, p.step, p.value]), [['acc', 9, 0.75], ['new_style', 1, 1], ['new_style', 2, 2]])
})

t.test('a truncated tail is a file still being written: earlier records count, no error', async (t) => {
  const dir = await tempLogdir(t)
  const file = join(dir, 'events.out.tfevents.1.h')
  const complete = fileOf(encodeScalars(T, 1, [{ tag: 'a', value: 1 }]))
  const next = encodeScalars(T, 2, [{ tag: 'a', value: 2 }])
  await writeFile(file, Buffer.concat([complete, next.subarray(0, next.length - 3)]))
  const contents = await readEventFile(file)
  t.same(contents.stop, { kind: 'truncated', offset: complete.length })
  t.equal(contents.offset, complete.length)
  t.same((await readScalars(dir)).map((p) => p.value), [1])
  await appendFile(file, next.subarray(next.length - 3))
  t.same((await readScalars(dir)).map((p) => p.value), [1, 2], 'the rest appears once written')
})

t.test('a corrupt record stops the file and is reported with the file and offset', async (t) => {
  const dir = await tempLogdir(t)
  const file = join(dir, 'events.out.tfevents.1.h')
  const first = fileOf(encodeScalars(T, 1, [{ tag: 'a', value: 1 }]))
  const bytes = Buffer.concat([first, encodeScalars(T, 2, [{ tag: 'a', value: 2 }]), encodeScalars(T, 3, [{ tag: 'a', value: 3 }])])
  bytes.writeUInt8(bytes.readUInt8(first.length + 14) ^ 0xff, first.length + 14) // inside the second scalar payload
  await writeFile(file, bytes)
  const { events, stop } = await readEventFile(file)
  t.equal(events.length, 2, 'file_version and step 1 survive')
  t.ok(stop instanceof TfeventsCorruptError)
  t.match(stop, { check: 'data', offset: first.length, file })
  await t.rejects(readScalars(dir), { name: 'TfeventsCorruptError', check: 'data', file })
  t.equal((await readFile(file)).length, bytes.length, 'reading never modifies the file')
})
