import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { migrate } from './migrations.js'

export interface SqliteOptions {
  file: string
  /** FULL: an ack survives power loss. NORMAL: survives a process crash only (WAL). */
  synchronous: 'FULL' | 'NORMAL'
}

export function openDatabase (opts: SqliteOptions): Database.Database {
  if (opts.file !== ':memory:') mkdirSync(dirname(opts.file), { recursive: true })
  const db = new Database(opts.file)
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${opts.synchronous}`)
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  // Bigger WAL before a checkpoint: fewer checkpoint stalls on the ack path.
  db.pragma('wal_autocheckpoint = 4000')
  db.pragma('cache_size = -65536')
  migrate(db)
  return db
}
