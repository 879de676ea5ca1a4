import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { migrate } from './migrations.js'

export interface SqliteOptions {
  file: string
  /** FULL: an ack survives power loss. NORMAL: survives a process crash only (WAL). */
  synchronous: 'FULL' | 'NORMAL'
  /** Leave checkpoints to a worker thread (see checkpointer.ts). */
  backgroundCheckpoints?: boolean
}

export function openDatabase (opts: SqliteOptions): Database.Database {
  if (opts.file !== ':memory:') mkdirSync(dirname(opts.file), { recursive: true })
  const db = new Database(opts.file)
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${opts.synchronous}`)
  db.pragma('foreign_keys = ON')
  // Deleted and overwritten content is zeroed, not left in free pages (sealed-over clear secrets).
  db.pragma('secure_delete = ON')
  db.pragma('busy_timeout = 5000')
  // Checkpoints run on a worker thread (checkpointer.ts); this connection never stalls on one.
  // Without that worker (an in-memory database), SQLite's own automatic checkpoint stays on.
  db.pragma(`wal_autocheckpoint = ${opts.backgroundCheckpoints === true ? 0 : 4000}`)
  // When the WAL restarts from its beginning, give back what a burst made it grow to.
  db.pragma('journal_size_limit = 67108864')
  db.pragma('cache_size = -65536')
  migrate(db)
  return db
}
