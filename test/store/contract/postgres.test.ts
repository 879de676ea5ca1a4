import t from 'tap'
import pg from 'pg'
import { pgTestDatabase } from '../../pg-database.js'
import { PgStore } from '../../../src/store/postgres/pg-store.js'
import { PgJobStore } from '../../../src/store/postgres/pg-job-store.js'
import { PgTuningStore } from '../../../src/store/postgres/pg-tuning-store.js'
import { PG_HISTORIES, PG_LATEST_VERSIONS } from '../../../src/store/postgres/pg-schema.js'
import { redactUrl } from '../../../src/store/postgres/open-pool.js'
import { GRACE_MS, storeContract } from './store-contract.js'
import { req, seedRun } from './contract-fixtures.js'

const db = await pgTestDatabase(t)

async function versions (url: string): Promise<Record<string, number[]>> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    const out: Record<string, number[]> = {}
    for (const h of PG_HISTORIES) out[h.table] = (await c.query<{ version: number }>(`SELECT version FROM ${h.table} ORDER BY version`)).rows.map(r => r.version)
    return out
  } finally {
    await c.end()
  }
}

if (db !== undefined) {
  // Each case: a fresh schema of this file's database.
  storeContract(t, async () => {
    const url = await db.schemaUrl()
    return {
      async open () {
        const store = await PgStore.connect({ url, poolSize: 4, tokenGraceMs: GRACE_MS })
        return { store, jobs: new PgJobStore(store.pool), tunings: new PgTuningStore(store.pool), close: async () => { await store.close() } }
      },
      migrations: async () => await versions(url),
      latest: PG_LATEST_VERSIONS
    }
  })

  t.test('postgres: three replicas opening a fresh database at once migrate it once', async t => {
    const stores = await Promise.all([1, 2, 3].map(async () => await PgStore.connect({ url: db.url, poolSize: 2, tokenGraceMs: GRACE_MS })))
    t.teardown(async () => { for (const s of stores) await s.close() })
    t.strictSame(await versions(db.url), Object.fromEntries(Object.entries(PG_LATEST_VERSIONS).map(([k, n]) => [k, Array.from({ length: n }, (_, i) => i + 1)])))
    const tables = await db.query<{ n: number }>("SELECT COUNT(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'run_log'")
    t.equal(tables[0]?.n, 1, 'one schema')
  })

  t.test('postgres: a schema newer than the gateway is refused', async t => {
    const url = await db.schemaUrl()
    const first = await PgStore.connect({ url, tokenGraceMs: GRACE_MS })
    await first.pool.query('INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)')
    await first.close()
    await t.rejects(PgStore.connect({ url, tokenGraceMs: GRACE_MS }), /database schema \(v999\) is newer than this gateway/)
  })

  t.test('postgres: a group is one transaction; hot queries are named prepared statements', async t => {
    const store = await PgStore.connect({ url: await db.schemaUrl(), poolSize: 1, tokenGraceMs: GRACE_MS })
    t.teardown(() => store.close())
    await seedRun(store, 'r1')
    // PostgreSQL TEXT holds no NUL character: the database refuses the group, and none of it stays.
    await t.rejects(store.append([req('r1', 'good'), req('r1', 'bad\u0000id')]))
    t.strictSame(await store.readEntries('r1', 0, 10), [], 'nothing of the failed group')
    t.equal((await store.getRun('r1'))?.headSeq, 0)
    t.strictSame(await store.append([req('r1', 'good')]), [{ ok: true, seq: 1, accepted: 1, duplicate: false }])
    await store.readEntries('r1', 0, 10)
    await store.cursorsDue(Date.now(), 10)
    await store.commitDelivery({ sink: 'mlflow', runId: 'r1', deliveredSeq: 1, state: null, wakeAt: null, deadLetters: [], replayed: [], now: Date.now() })
    const names = (await store.pool.query<{ name: string }>('SELECT name FROM pg_prepared_statements ORDER BY name')).rows.map(r => r.name)
    const hot = ['tg_append_lock_runs', 'tg_append_seen_batches', 'tg_append_insert_log', 'tg_append_insert_batches', 'tg_append_set_heads', 'tg_read_entries', 'tg_cursors_due', 'tg_commit_cursor']
    t.strictSame(hot.filter(n => !names.includes(n)), [], 'prepared once on the connection, by name')
  })

  t.test('postgres: the connection string\'s password is not shown', async t => {
    t.equal(redactUrl('postgres://tg:hunter2@db.internal:5432/trackgate'), 'postgres://tg:***@db.internal:5432/trackgate')
    t.equal(redactUrl('postgres://db.internal/trackgate'), 'postgres://db.internal/trackgate')
    const err = await PgStore.connect({ url: 'postgres://tg:hunter2@127.0.0.1:1/trackgate', tokenGraceMs: GRACE_MS }).catch((e: Error) => e)
    t.ok(err instanceof Error, 'no server there')
    t.notMatch(`${String(err)} ${(err as Error).stack ?? ''}`, /hunter2/, 'the error does not carry it')
  })
}
