import t, { type Test } from 'tap'
import { seedProject, startGateway } from '../../helper.js'
import { byPoint, expected, fixtureFile, HPARAMS_FILE, metrics, recordStarts, RUN1_FILE, upload } from './upload-helper.js'

const g = await startGateway(t)
const project = await seedProject(g)
const files: Record<string, Buffer> = { [RUN1_FILE]: await fixtureFile(RUN1_FILE), [HPARAMS_FILE]: await fixtureFile(HPARAMS_FILE) }

const want = expected.scalars.map(s => ({ key: `${s.run}/${s.tag}`, value: s.value, step: s.step, wallTime: s.wall_time })).sort((a, b) => a.key < b.key ? -1 : a.key > b.key ? 1 : a.step - b.step)

async function checkExact (t: Test, runId: string): Promise<void> {
  const got = (await metrics(g, runId, project.keys.read)).sort(byPoint)
  t.equal(got.length, want.length, 'every point once')
  for (const [i, w] of want.entries()) {
    const p = got[i]
    t.same(p && { key: p.key, value: p.value, step: p.step }, { key: w.key, value: w.value, step: w.step }, `${w.key} @${w.step}`)
    if (w.wallTime !== null) t.equal(p?.timestamp, Math.round(w.wallTime * 1000), `${w.key} @${w.step} timestamp`)
    else t.ok((p?.timestamp ?? 0) > 1.7e12, `${w.key} has a plausible timestamp`)
  }
}

/** Sends the file the way a tailer does: from the answered offset up to each cut. */
async function sendInCuts (t: Test, runId: string, auth: string, file: string, cuts: number[]): Promise<void> {
  const buf = files[file] as Buffer
  let consumed = 0
  for (const cut of [...cuts, buf.length]) {
    if (cut <= consumed) continue
    const r = await upload(g, runId, auth, file, consumed, buf.subarray(consumed, cut))
    t.equal(r.status, 202, `${file} [${consumed}, ${cut})`)
    t.ok(r.body.consumed <= cut && r.body.consumed >= consumed, 'consumed within the upload')
    t.same(r.body.corrupt, [])
    consumed = r.body.consumed
  }
  t.equal(consumed, buf.length, `${file} consumed whole`)
}

t.test('the PyTorch logdir, each file in one upload, gives exactly the expected scalars and hparams', async (t) => {
  const run = await project.run()
  for (const file of Object.keys(files)) await sendInCuts(t, run.id, run.token, file, [])
  await checkExact(t, run.id)
  const s = await g.call('GET', `/v1/runs/${run.id}/summary`, { auth: project.keys.read })
  const hp = expected.hparams['session_start_info.hparams']
  t.same(s.body.params, Object.fromEntries(Object.entries(hp).map(([k, v]) => [`run1/hparams/${k}`, v])), 'typed params under the run prefix')
  t.equal(s.body.tags['run1/hparams/hparams/session_end'], 'STATUS_SUCCESS', 'session end is a note, not a status')
  t.equal(s.body.status, 'RUNNING')
})

t.test('chunks cut at arbitrary offsets, mid-record included, store the same points', async (t) => {
  const run = await project.run()
  // A fixed pseudo-random cut list per file so a failure reproduces.
  let seed = 7
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n }
  for (const [file, buf] of Object.entries(files)) {
    const cuts = Array.from({ length: 9 }, () => 1 + rnd(buf.length - 1)).sort((a, b) => a - b)
    cuts.push(recordStarts(buf)[3] as number + 5, 3)
    await sendInCuts(t, run.id, run.token, file, cuts.sort((a, b) => a - b))
  }
  await checkExact(t, run.id)
})

t.test('retried and overlapping uploads store every point once', async (t) => {
  const run = await project.run()
  const buf = files[RUN1_FILE] as Buffer
  const starts = recordStarts(buf)
  const mid = starts[6] as number
  const a = await upload(g, run.id, run.token, RUN1_FILE, 0, buf.subarray(0, mid))
  t.same({ consumed: a.body.consumed, duplicate: a.body.duplicate }, { consumed: mid, duplicate: false })
  const again = await upload(g, run.id, run.token, RUN1_FILE, 0, buf.subarray(0, mid))
  t.same({ status: again.status, consumed: again.body.consumed, duplicate: again.body.duplicate }, { status: 202, consumed: mid, duplicate: true }, 'a retry is a duplicate')
  const inner = await upload(g, run.id, run.token, RUN1_FILE, starts[2] as number, buf.subarray(starts[2], starts[4]))
  t.same({ consumed: inner.body.consumed, duplicate: inner.body.duplicate }, { consumed: mid, duplicate: true }, 'a range inside the consumed one')
  // Overlapping: starts before the consumed offset and goes on past it; concurrently with a retry.
  const [over, dup] = await Promise.all([
    upload(g, run.id, run.token, RUN1_FILE, starts[3] as number, buf.subarray(starts[3])),
    upload(g, run.id, run.token, RUN1_FILE, 0, buf)
  ])
  t.equal(over.status, 202)
  t.equal(dup.status, 202)
  t.equal(Math.max(over.body.consumed, dup.body.consumed), buf.length)
  const ahead = await upload(g, run.id, run.token, HPARAMS_FILE, 100, Buffer.alloc(10))
  t.equal(ahead.status, 409, 'an upload beyond the consumed offset')
  t.equal(ahead.body.code, 'TG_TFEVENTS_OFFSET')
  t.equal(ahead.headers.get('x-trackgate-consumed'), '0')
  await sendInCuts(t, run.id, run.token, HPARAMS_FILE, [])
  await sendInCuts(t, run.id, run.token, HPARAMS_FILE, [])
  await checkExact(t, run.id)
})

t.test('a torn tail is not consumed and is answered with the start of the torn record', async (t) => {
  const run = await project.run()
  const buf = files[RUN1_FILE] as Buffer
  const starts = recordStarts(buf)
  const last = starts[starts.length - 1] as number
  const r = await upload(g, run.id, run.token, RUN1_FILE, 0, buf.subarray(0, buf.length - 5))
  t.equal(r.body.consumed, last)
  t.equal(r.body.records, starts.length - 1)
  const short = await upload(g, run.id, run.token, RUN1_FILE, last, buf.subarray(last, last + 7))
  t.same({ consumed: short.body.consumed, records: short.body.records }, { consumed: last, records: 0 }, 'less than a header')
  const rest = await upload(g, run.id, run.token, RUN1_FILE, last, buf.subarray(last))
  t.same({ consumed: rest.body.consumed, records: rest.body.records, scalars: rest.body.scalars }, { consumed: buf.length, records: 1, scalars: 1 })
})
