import t from 'tap'
import { storeFailure } from '../../src/store/store-errors.js'

t.test('store failures mean the same whichever backend threw them', async t => {
  const code = (c: string): Error => Object.assign(new Error('x'), { code: c })
  t.equal(storeFailure(code('SQLITE_FULL')), 'full')
  t.equal(storeFailure(code('53100')), 'full', 'PostgreSQL disk_full')
  for (const c of ['SQLITE_BUSY', 'SQLITE_LOCKED', '40001', '40P01', '55P03', '57P01', '08006', 'ECONNREFUSED']) t.equal(storeFailure(code(c)), 'busy', c)
  t.equal(storeFailure(new Error('timeout exceeded when trying to connect')), 'busy', 'pg pool exhausted')
  for (const e of [code('23505'), code('42P01'), new Error('bug'), null, 'text']) t.equal(storeFailure(e), undefined, 'a bug stays a 500')
})
