import type { Test } from 'tap'
import type { DeadLetterInput } from '../../../src/store/store.js'
import { fresh, seedRun, T0, type MakeStore } from './contract-fixtures.js'

const letter = (seq: number, idx: number, code = 'TG_SINK_REJECTED'): DeadLetterInput =>
  ({ seq, idx, record: { kind: 'metric', key: 'loss', value: seq + idx / 10, nested: { list: [seq, idx] } }, code, message: `rejected ${seq}/${idx}` })

export function deadLettersContract (t: Test, makeStore: MakeStore): void {
  t.test('dead letters: kept once per (sink, run, seq, idx), listed, replayed, discarded', async t => {
    const { store } = await fresh(t, makeStore)
    await seedRun(store, 'r1', { sinks: ['mlflow', 'wandb'] })
    await seedRun(store, 'r2', { sinks: ['mlflow'] })
    await seedRun(store, 'q1', { projectId: 'p2', sinks: ['mlflow'] })
    const base = { state: null, wakeAt: null, replayed: [], now: T0 + 10 }
    await store.commitDelivery({ ...base, sink: 'mlflow', runId: 'r1', deliveredSeq: 0, deadLetters: [letter(2, 1), letter(1, 3)] })
    await store.commitDelivery({ ...base, sink: 'wandb', runId: 'r1', deliveredSeq: 0, deadLetters: [letter(1, 0)] })
    await store.commitDelivery({ ...base, sink: 'mlflow', runId: 'r2', deliveredSeq: 0, deadLetters: [letter(5, 0)] })
    await store.commitDelivery({ ...base, sink: 'mlflow', runId: 'q1', deliveredSeq: 0, deadLetters: [letter(1, 0)] })

    const all = await store.listDeadLetters('p1', { limit: 10 })
    t.strictSame(all.map(d => [d.sink, d.runId, d.seq, d.idx]), [['mlflow', 'r1', 2, 1], ['mlflow', 'r1', 1, 3], ['wandb', 'r1', 1, 0], ['mlflow', 'r2', 5, 0]], 'by id, the project\'s only')
    const [first] = all
    t.strictSame(first, {
      ...letter(2, 1), id: first?.id, sink: 'mlflow', runId: 'r1', projectId: 'p1', status: 'dead', attempts: 1, createdAt: T0 + 10
    }, 'the whole dead letter')
    t.ok(all.every((d, i) => i === 0 || d.id > (all[i - 1]?.id ?? 0)), 'ids increase')
    t.strictSame((await store.listDeadLetters('p1', { runId: 'r1', sink: 'mlflow', limit: 10 })).map(d => d.seq), [2, 1])
    t.strictSame((await store.listDeadLetters('p1', { sink: 'wandb', limit: 10 })).map(d => d.runId), ['r1'])
    t.strictSame((await store.listDeadLetters('p1', { limit: 2, afterId: all[1]?.id })).map(d => d.seq), [1, 5], 'paged by id')
    t.strictSame((await store.listDeadLetters('p2', { limit: 10 })).map(d => d.runId), ['q1'])
    t.strictSame(await store.getDeadLetter(first?.id ?? -1), first)
    t.equal(await store.getDeadLetter(999_999), undefined)

    // The same record failing again: one row, one more attempt, the latest reason; a replayed one goes back to dead.
    await store.replayDeadLetter(first?.id ?? -1, T0 + 20)
    await store.commitDelivery({ ...base, sink: 'mlflow', runId: 'r1', deliveredSeq: 2, deadLetters: [letter(2, 1, 'TG_AGAIN')], now: T0 + 30 })
    const again = await store.getDeadLetter(first?.id ?? -1)
    t.match(again, { status: 'dead', attempts: 2, code: 'TG_AGAIN', message: 'rejected 2/1', createdAt: T0 + 10, record: letter(2, 1).record })
    t.equal((await store.listDeadLetters('p1', { limit: 10 })).length, 4, 'still one row')

    // Replay: due at once (unless paused), listed for its partition by (seq, idx), deleted when delivered.
    await store.recordFailure('mlflow', 'r1', { attempts: 4, nextAttemptAt: T0 + 99_999, status: 'degraded', code: 'X', message: 'x' }, T0)
    for (const d of all.slice(0, 2)) await store.replayDeadLetter(d.id, T0 + 40)
    t.match((await store.listCursors('r1')).find(c => c.sink === 'mlflow'), { nextAttemptAt: 0, updatedAt: T0 + 40 }, 'back-off cut short')
    const replays = await store.replaysFor('mlflow', 'r1')
    t.strictSame(replays.map(d => [d.seq, d.idx, d.status]), [[1, 3, 'replay'], [2, 1, 'replay']], 'by seq, idx')
    t.strictSame(await store.replaysFor('wandb', 'r1'), [])
    await store.recordFailure('wandb', 'r1', { attempts: 1, nextAttemptAt: T0 + 77, status: 'paused', code: 'TG_SINK_AUTH', message: '401' }, T0)
    await store.replayDeadLetter(all[2]?.id ?? -1, T0 + 50)
    t.match((await store.listCursors('r1')).find(c => c.sink === 'wandb'), { nextAttemptAt: T0 + 77, status: 'paused' }, 'a paused partition stays paused')
    await t.resolves(store.replayDeadLetter(999_999, T0), 'an unknown id: nothing')

    await store.commitDelivery({ ...base, sink: 'mlflow', runId: 'r1', deliveredSeq: 2, deadLetters: [], replayed: [replays[0]?.id ?? -1, all[3]?.id ?? -1], now: T0 + 60 })
    t.equal(await store.getDeadLetter(replays[0]?.id ?? -1), undefined, 'a delivered replay is gone')
    t.ok(await store.getDeadLetter(all[3]?.id ?? -1), 'a dead letter not in replay is kept')
    t.strictSame((await store.replaysFor('mlflow', 'r1')).map(d => d.seq), [2])

    await store.discardDeadLetter(all[3]?.id ?? -1)
    t.equal(await store.getDeadLetter(all[3]?.id ?? -1), undefined, 'discarded')
    await t.resolves(store.discardDeadLetter(999_999))
  })

  t.test('ingest offsets and ingest dead letters', async t => {
    const { store } = await fresh(t, makeStore)
    await seedRun(store, 'r1')
    t.strictSame(await store.getIngestOffsets('r1', 'events.out.1'), { consumed: 0 }, 'an unseen file starts at 0')
    await store.putIngestOffsets('r1', 'events.out.1', { consumed: 100, pending: 250 }, T0)
    t.strictSame(await store.getIngestOffsets('r1', 'events.out.1'), { consumed: 100, pending: 250 })
    await store.putIngestOffsets('r1', 'events.out.1', { consumed: 3_000_000_000, deadAt: 2_999_999_000 }, T0 + 1)
    t.strictSame(await store.getIngestOffsets('r1', 'events.out.1'), { consumed: 3_000_000_000, deadAt: 2_999_999_000 }, 'replaced whole; offsets past 2^31')
    t.strictSame(await store.getIngestOffsets('r2', 'events.out.1'), { consumed: 0 }, 'per run')

    const corrupt = { source: 'tfevents', file: 'events.out.2', offset: 4096, code: 'TG_TFEVENTS_CRC', message: 'bad crc', record: { reason: 'crc' } }
    await store.addIngestDeadLetter('r1', corrupt, T0 + 2)
    await store.addIngestDeadLetter('r1', { ...corrupt, message: 'again' }, T0 + 3)
    await store.addIngestDeadLetter('r1', { ...corrupt, file: 'events.out.1', offset: 8 }, T0 + 4)
    t.strictSame(await store.getIngestOffsets('r1', 'events.out.2'), { consumed: 0 }, 'the file is known from its first dead letter')
    t.strictSame(await store.getIngestOffsets('r1', 'events.out.1'), { consumed: 3_000_000_000, deadAt: 2_999_999_000 }, 'a known file keeps its offsets')
    const letters = await store.listDeadLetters('p1', { sink: 'tfevents-ingest', limit: 10 })
    t.equal(letters.length, 2, 'once per (file, offset)')
    t.match(letters[0], { sink: 'tfevents-ingest', runId: 'r1', idx: 4096, code: 'TG_TFEVENTS_CRC', message: 'bad crc', status: 'dead', attempts: 1, createdAt: T0 + 2 })
    t.strictSame(letters[0]?.record, { file: 'events.out.2', offset: 4096, reason: 'crc' })
    t.not(letters[0]?.seq, letters[1]?.seq, 'seq tells the files apart')
    t.strictSame((await store.sinkStats()).find(s => s.sink === 'tfevents-ingest')?.deadLetters, 2, 'counted with the sinks\' dead letters')
  })
}
