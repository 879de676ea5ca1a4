import t from 'tap'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { tempDir } from '../../helper.js'
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.js'
import { SqliteJobStore } from '../../../src/store/sqlite/sqlite-job-store.js'
import { SqliteTuningStore } from '../../../src/store/sqlite/sqlite-tuning-store.js'
import { LATEST_SCHEMA_VERSION } from '../../../src/store/sqlite/migrations.js'
import { GRACE_MS, storeContract } from './store-contract.js'

const HISTORIES = ['schema_migrations', 'job_migrations']

storeContract(t, async t => {
  const file = join(tempDir(t, 'trackgate-contract-'), 'trackgate.sqlite')
  return {
    async open () {
      const store = new SqliteStore({ file, synchronous: 'NORMAL', tokenGraceMs: GRACE_MS })
      return { store, jobs: new SqliteJobStore(store.db), tunings: new SqliteTuningStore(store.db), close: async () => { await store.close() } }
    },
    async migrations () {
      const db = new Database(file, { readonly: true })
      try {
        return Object.fromEntries(HISTORIES.map(h => [h, db.prepare(`SELECT version FROM ${h} ORDER BY version`).pluck().all() as number[]]))
      } finally {
        db.close()
      }
    },
    latest: { schema_migrations: LATEST_SCHEMA_VERSION }
  }
})
