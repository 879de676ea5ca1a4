import t from 'tap'
import { KeyedLock } from '../../src/util/keyed-lock.js'

t.test('one key runs in call order, one at a time; other keys do not wait; a failure does not block', async t => {
  const lock = new KeyedLock()
  const log: string[] = []
  let releaseA: () => void = () => {}
  const gate = new Promise<void>(resolve => { releaseA = resolve })
  const a1 = lock.run('a', async () => { log.push('a1 start'); await gate; log.push('a1 end'); return 1 })
  const a2 = lock.run('a', async () => { log.push('a2'); throw new Error('boom') })
  const a3 = lock.run('a', async () => { log.push('a3'); return 3 })
  const b = await lock.run('b', async () => { log.push('b'); return 'b' })
  t.equal(b, 'b')
  t.same(log, ['a1 start', 'b'], 'b ran while a1 was still running; a2 waits')
  releaseA()
  t.equal(await a1, 1)
  await t.rejects(a2, /boom/)
  t.equal(await a3, 3, 'the caller after a failure still runs')
  t.same(log, ['a1 start', 'b', 'a1 end', 'a2', 'a3'])
})
