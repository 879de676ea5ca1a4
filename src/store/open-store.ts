import { join } from 'node:path'
import type { Config } from '../config/config.js'
import type { Store } from './store.js'
import type { JobStore } from './job-store.js'
import type { TuningStore } from './tuning-store.js'
import { SqliteStore } from './sqlite/sqlite-store.js'
import { SqliteJobStore } from './sqlite/sqlite-job-store.js'
import { SqliteTuningStore } from './sqlite/sqlite-tuning-store.js'
import { PgStore } from './postgres/pg-store.js'
import { PgJobStore } from './postgres/pg-job-store.js'
import { PgTuningStore } from './postgres/pg-tuning-store.js'
import { redactUrl } from './postgres/open-pool.js'

export interface OpenedStores { backend: 'sqlite' | 'postgres', store: Store, jobs: JobStore, tunings: TuningStore, where: string }

/** The run log, jobs and tuning jobs in one database: `<dataDir>/trackgate.sqlite`, or PostgreSQL when TRACKGATE_DATABASE_URL is set. */
export async function openStores (c: Config, onPoolError: (err: Error) => void): Promise<OpenedStores> {
  const url = c.store.databaseUrl
  if (url === undefined) {
    const file = join(c.dataDir, 'trackgate.sqlite')
    const store = new SqliteStore({ file, synchronous: c.sqliteSynchronous, tokenGraceMs: c.tokenGraceMs })
    return { backend: 'sqlite', store, jobs: new SqliteJobStore(store.db), tunings: new SqliteTuningStore(store.db), where: file }
  }
  const store = await PgStore.connect({ url, poolSize: c.store.poolSize, tokenGraceMs: c.tokenGraceMs, onPoolError })
  return { backend: 'postgres', store, jobs: new PgJobStore(store.pool), tunings: new PgTuningStore(store.pool), where: redactUrl(url) }
}
