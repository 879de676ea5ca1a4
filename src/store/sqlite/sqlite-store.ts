import type Database from 'better-sqlite3'
import type { LogEntry, EntryBody } from '../../domain/log-entry.js'
import type { TerminalStatus } from '../../domain/records.js'
import type { ParamValue } from '../../domain/param-value.js'
import type {
  ApiKey, AppendRequest, AppendResult, Cursor, DeadLetter, FailureUpdate, IngestDeadLetterInput, IngestOffsets, NewRun, Project, Run, RunFilter, SinkStats, Store
} from '../store.js'
import { openDatabase, type SqliteOptions } from './open-database.js'
import { toApiKey, toCursor, toDeadLetter, toRun, type ApiKeyRow, type CursorRow, type DeadLetterRow, type RunRow } from './rows.js'
import { appendInTransaction } from './append.js'
import { Checkpointer } from './checkpointer.js'
import { statementCache, type Stmt } from './statement-cache.js'
import { RecentEntries } from './recent-entries.js'
import { backlog, sinkStats } from './delivery-stats.js'
import { deleteSinkTarget, getSinkTarget, listAllSinkTargets, listApiKeys, listSinkTargets, putSinkTarget, revokeApiKey } from './project-queries.js'
import { addIngestDeadLetter, getIngestOffsets, putIngestOffsets } from './ingest-offsets.js'
import { statSync } from 'node:fs'

const CURSOR_COLUMNS = 'c.*, r.head_seq AS head_seq'

/** The embedded store: one SQLite file in WAL mode (better-sqlite3, synchronous). */
export class SqliteStore implements Store {
  readonly db: Database.Database
  // Write transactions start with BEGIN IMMEDIATE: a deferred one that reads first and then
  // writes gets SQLITE_BUSY at once, without waiting, if another connection wrote in between.
  private readonly appendTx: Database.Transaction<(batch: AppendRequest[]) => AppendResult[]>
  private readonly graceMs: number

  private readonly synchronous: 'FULL' | 'NORMAL'

  private readonly checkpointer: Checkpointer | undefined
  private readonly file: string
  private readonly stmt: Stmt
  private readonly recent = new RecentEntries()

  constructor (opts: SqliteOptions & { tokenGraceMs: number }) {
    this.file = opts.file
    const background = opts.file !== ':memory:'
    this.db = openDatabase({ ...opts, backgroundCheckpoints: background })
    this.stmt = statementCache(this.db)
    this.checkpointer = background
      ? new Checkpointer(opts.file, {
        onError: () => {
          // The worker cannot checkpoint: let SQLite do it inline again rather than grow the WAL forever.
          if (this.db.open) this.db.pragma('wal_autocheckpoint = 4000')
        }
      })
      : undefined
    this.synchronous = opts.synchronous
    this.graceMs = opts.tokenGraceMs
    this.appendTx = this.db.transaction((batch: AppendRequest[]) => appendInTransaction(this.db, batch, this.graceMs))
  }

  /**
   * Delivery bookkeeping (cursor moves, retry state) need not survive a power loss: losing one
   * only makes a sink receive a resend, which every sink makes harmless. So it commits without an
   * fsync; the next acknowledged write (ingest, FULL) syncs the WAL, bookkeeping included.
   */
  private bookkeeping<T> (fn: () => T): T {
    if (this.synchronous === 'NORMAL') return fn()
    this.db.pragma('synchronous = NORMAL')
    try {
      return fn()
    } finally {
      this.db.pragma('synchronous = FULL')
    }
  }

  async createProject (p: Project): Promise<Project> {
    this.stmt('INSERT INTO projects (id, name, created_at) VALUES (?, ?, ?)').run(p.id, p.name, p.createdAt)
    return p
  }

  async getProject (id: string): Promise<Project | undefined> {
    const r = this.stmt('SELECT id, name, created_at FROM projects WHERE id = ?').get(id) as { id: string, name: string, created_at: number } | undefined
    return r === undefined ? undefined : { id: r.id, name: r.name, createdAt: r.created_at }
  }

  async createApiKey (k: ApiKey & { hash: string }): Promise<void> {
    this.stmt('INSERT INTO api_keys (id, project_id, role, hash, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(k.id, k.projectId, k.role, k.hash, Date.now())
  }

  async listApiKeys (projectId: string): Promise<Array<ApiKey & { createdAt: number }>> { return listApiKeys(this.stmt, projectId) }
  async revokeApiKey (projectId: string, keyId: string): Promise<boolean> { return revokeApiKey(this.stmt, projectId, keyId) }

  async findApiKey (hash: string): Promise<ApiKey | undefined> {
    const r = this.stmt('SELECT id, project_id, role FROM api_keys WHERE hash = ?').get(hash) as ApiKeyRow | undefined
    return r === undefined ? undefined : toApiKey(r)
  }

  async createRun (n: NewRun): Promise<Run> {
    const insert = this.db.transaction((): EntryBody | undefined => {
      this.stmt(`INSERT INTO runs (id, project_id, name, experiment, status, tags, job_name, parent_run_id, run_group, head_seq, created_at, token_hash)
        VALUES (?, ?, ?, ?, 'RUNNING', '{}', ?, ?, ?, 0, ?, ?)`).run(n.id, n.projectId, n.name, n.experiment, n.jobName, n.parentRunId ?? null, n.group ?? null, n.createdAt, n.tokenHash)
      for (const sink of n.sinks) {
        this.stmt('INSERT INTO sink_cursors (sink, run_id, updated_at) VALUES (?, ?, ?)').run(sink, n.id, n.createdAt)
      }
      const records = Object.keys(n.params).length + Object.keys(n.tags).length
      if (records > 0) {
        const body: EntryBody = { t: 'batch', p: n.params, g: n.tags }
        const [res] = appendInTransaction(this.db, [{ runId: n.id, batchId: 'run-create', body, records, params: n.params, tags: n.tags, now: n.createdAt }], this.graceMs)
        if (res?.ok !== true) throw new Error('could not record the run\'s initial params')
        return body
      }
      return undefined
    })
    const first = insert.immediate()
    if (first !== undefined) this.recent.add(n.id, { seq: 1, body: first, createdAt: n.createdAt })
    const run = await this.getRun(n.id)
    if (run === undefined) throw new Error('run vanished after insert')
    return run
  }

  async getRun (id: string): Promise<Run | undefined> {
    const r = this.stmt('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined
    return r === undefined ? undefined : toRun(r)
  }

  async listRuns (projectId: string, f: RunFilter): Promise<Run[]> {
    const where = ['project_id = @projectId']
    if (f.status !== undefined) where.push('status = @status')
    if (f.experiment !== undefined) where.push('experiment = @experiment')
    if (f.after !== undefined) where.push('(created_at < @afterAt OR (created_at = @afterAt AND id < @afterId))')
    const rows = this.stmt(`SELECT * FROM runs WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT @limit`).all({
      projectId, status: f.status, experiment: f.experiment, afterAt: f.after?.createdAt, afterId: f.after?.id, limit: f.limit
    }) as RunRow[]
    return rows.map(toRun)
  }

  async finishRun (id: string, status: TerminalStatus, now: number): Promise<{ run: Run, changed: boolean }> {
    const tx = this.db.transaction((): LogEntry | undefined => {
      const r = this.stmt('SELECT status, head_seq FROM runs WHERE id = ?').get(id) as { status: string, head_seq: number } | undefined
      if (r === undefined) throw new Error('run missing')
      if (r.status !== 'RUNNING') return undefined
      const seq = r.head_seq + 1
      const body: EntryBody = { t: 'status', s: status, ts: now }
      this.stmt('INSERT INTO run_log (run_id, seq, body, created_at) VALUES (?, ?, ?, ?)').run(id, seq, JSON.stringify(body), now)
      this.stmt('UPDATE runs SET status = ?, ended_at = ?, head_seq = ? WHERE id = ?').run(status, now, seq, id)
      return { seq, body, createdAt: now }
    })
    const entry = tx.immediate()
    if (entry !== undefined) this.recent.add(id, entry)
    const changed = entry !== undefined
    const run = await this.getRun(id)
    if (run === undefined) throw new Error('run missing')
    return { run, changed }
  }

  async getParams (runId: string): Promise<Record<string, ParamValue>> {
    const rows = this.stmt('SELECT key, value FROM run_params WHERE run_id = ? ORDER BY key').all(runId) as Array<{ key: string, value: string }>
    return Object.fromEntries(rows.map(r => [r.key, JSON.parse(r.value) as ParamValue]))
  }

  async mergeRunTags (runId: string, tags: Record<string, string>): Promise<void> {
    this.stmt('UPDATE runs SET tags = json_patch(tags, ?) WHERE id = ?').run(JSON.stringify(tags), runId)
  }

  async setRunToken (runId: string, tokenHash: string): Promise<void> {
    this.stmt('UPDATE runs SET token_hash = ? WHERE id = ?').run(tokenHash, runId)
  }

  async getTags (runId: string): Promise<Record<string, string>> {
    return (await this.getRun(runId))?.tags ?? {}
  }

  async append (batch: AppendRequest[]): Promise<AppendResult[]> {
    const results = this.appendTx.immediate(batch)
    results.forEach((r, i) => {
      const req = batch[i] as AppendRequest
      if (r.ok && !r.duplicate) this.recent.add(req.runId, { seq: r.seq, body: req.body, createdAt: req.now })
    })
    return results
  }

  async readEntries (runId: string, afterSeq: number, limit: number): Promise<LogEntry[]> {
    const cached = this.recent.get(runId, afterSeq, limit)
    if (cached !== undefined) return cached
    const rows = this.stmt('SELECT seq, body, created_at FROM run_log WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?')
      .all(runId, afterSeq, limit) as Array<{ seq: number, body: string, created_at: number }>
    return rows.map(r => ({ seq: r.seq, body: JSON.parse(r.body) as EntryBody, createdAt: r.created_at }))
  }

  async addCursor (runId: string, sink: string, now: number): Promise<boolean> {
    const res = this.stmt('INSERT INTO sink_cursors (sink, run_id, updated_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(sink, runId, now)
    return res.changes > 0
  }

  async listCursors (runId: string): Promise<Cursor[]> {
    const rows = this.stmt(`SELECT ${CURSOR_COLUMNS} FROM sink_cursors c JOIN runs r ON r.id = c.run_id WHERE c.run_id = ? ORDER BY c.sink`).all(runId) as CursorRow[]
    return rows.map(toCursor)
  }

  async cursorsDue (now: number, limit: number): Promise<Cursor[]> {
    const rows = this.stmt(`SELECT ${CURSOR_COLUMNS} FROM sink_cursors c JOIN runs r ON r.id = c.run_id
      WHERE c.status != 'paused' AND c.next_attempt_at <= @now
        AND (c.delivered_seq < r.head_seq OR (c.wake_at IS NOT NULL AND c.wake_at <= @now)
          OR EXISTS (SELECT 1 FROM dead_letters d WHERE d.run_id = c.run_id AND d.sink = c.sink AND d.status = 'replay'))
      ORDER BY c.next_attempt_at LIMIT @limit`).all({ now, limit }) as CursorRow[]
    return rows.map(toCursor)
  }

  async cursorsForRuns (runIds: string[]): Promise<Cursor[]> {
    if (runIds.length === 0) return []
    const rows = this.stmt(`SELECT ${CURSOR_COLUMNS} FROM sink_cursors c JOIN runs r ON r.id = c.run_id
      WHERE c.run_id IN (SELECT value FROM json_each(?))`).all(JSON.stringify(runIds)) as CursorRow[]
    return rows.map(toCursor)
  }

  async commitDelivery (c: Parameters<Store['commitDelivery']>[0]): Promise<void> {
    this.bookkeeping(() => this.db.transaction(() => {
      this.stmt(`UPDATE sink_cursors SET delivered_seq = ?, state = ?, wake_at = ?, attempts = 0, next_attempt_at = 0,
        status = 'healthy', last_error = NULL, last_error_code = NULL, updated_at = ? WHERE sink = ? AND run_id = ?`)
        .run(c.deliveredSeq, JSON.stringify(c.state ?? null), c.wakeAt, c.now, c.sink, c.runId)
      const insert = this.stmt(`INSERT INTO dead_letters (sink, run_id, seq, idx, record, code, message, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (sink, run_id, seq, idx) DO UPDATE SET status = 'dead', attempts = attempts + 1, code = excluded.code, message = excluded.message`)
      for (const d of c.deadLetters) insert.run(c.sink, c.runId, d.seq, d.idx, JSON.stringify(d.record), d.code, d.message, c.now)
      const del = this.stmt('DELETE FROM dead_letters WHERE id = ? AND status = \'replay\'')
      for (const id of c.replayed) del.run(id)
    }).immediate())
  }

  async recordFailure (sink: string, runId: string, u: FailureUpdate, now: number): Promise<void> {
    this.bookkeeping(() => this.stmt(`UPDATE sink_cursors SET attempts = ?, next_attempt_at = ?, status = ?, last_error_code = ?, last_error = ?, updated_at = ?
      WHERE sink = ? AND run_id = ?`).run(u.attempts, u.nextAttemptAt, u.status, u.code, u.message, now, sink, runId))
  }

  async resumeCursor (sink: string, runId: string, now: number): Promise<boolean> {
    const res = this.stmt(`UPDATE sink_cursors SET status = 'healthy', attempts = 0, next_attempt_at = 0, updated_at = ?
      WHERE sink = ? AND run_id = ?`).run(now, sink, runId)
    return res.changes > 0
  }

  async getIngestOffsets (runId: string, file: string): Promise<IngestOffsets> { return getIngestOffsets(this.stmt, runId, file) }
  async putIngestOffsets (runId: string, file: string, o: IngestOffsets, now: number): Promise<void> { putIngestOffsets(this.stmt, runId, file, o, now) }
  async addIngestDeadLetter (runId: string, d: IngestDeadLetterInput, now: number): Promise<void> { this.db.transaction(() => { addIngestDeadLetter(this.stmt, runId, d, now) }).immediate() }

  async getSinkTarget (projectId: string, sink: string): Promise<Record<string, unknown> | undefined> { return getSinkTarget(this.stmt, projectId, sink) }
  async putSinkTarget (projectId: string, sink: string, config: Record<string, unknown>, now: number): Promise<void> { putSinkTarget(this.stmt, projectId, sink, config, now) }
  async deleteSinkTarget (projectId: string, sink: string): Promise<boolean> { return deleteSinkTarget(this.stmt, projectId, sink) }
  async listSinkTargets (projectId: string): Promise<Array<{ sink: string, config: Record<string, unknown>, updatedAt: number }>> { return listSinkTargets(this.stmt, projectId) }
  async listAllSinkTargets (): Promise<Array<{ projectId: string, sink: string, config: Record<string, unknown>, updatedAt: number }>> { return listAllSinkTargets(this.stmt) }

  async listDeadLetters (projectId: string, f: { runId?: string, sink?: string, limit: number, afterId?: number }): Promise<DeadLetter[]> {
    const rows = this.stmt(`SELECT d.*, r.project_id FROM dead_letters d JOIN runs r ON r.id = d.run_id
      WHERE r.project_id = @projectId AND (@runId IS NULL OR d.run_id = @runId) AND (@sink IS NULL OR d.sink = @sink) AND d.id > @afterId
      ORDER BY d.id LIMIT @limit`).all({ projectId, runId: f.runId ?? null, sink: f.sink ?? null, afterId: f.afterId ?? 0, limit: f.limit }) as DeadLetterRow[]
    return rows.map(toDeadLetter)
  }

  async getDeadLetter (id: number): Promise<DeadLetter | undefined> {
    const r = this.stmt('SELECT d.*, r.project_id FROM dead_letters d JOIN runs r ON r.id = d.run_id WHERE d.id = ?').get(id) as DeadLetterRow | undefined
    return r === undefined ? undefined : toDeadLetter(r)
  }

  async replayDeadLetter (id: number, now: number): Promise<void> {
    this.db.transaction(() => {
      const d = this.stmt('SELECT sink, run_id FROM dead_letters WHERE id = ?').get(id) as { sink: string, run_id: string } | undefined
      if (d === undefined) return
      this.stmt('UPDATE dead_letters SET status = \'replay\' WHERE id = ?').run(id)
      // A replay is due at once, whatever back-off the partition was in.
      this.stmt('UPDATE sink_cursors SET next_attempt_at = 0, updated_at = ? WHERE sink = ? AND run_id = ? AND status != \'paused\'').run(now, d.sink, d.run_id)
    }).immediate()
  }

  async discardDeadLetter (id: number): Promise<void> {
    this.stmt('DELETE FROM dead_letters WHERE id = ?').run(id)
  }

  async replaysFor (sink: string, runId: string): Promise<DeadLetter[]> {
    const rows = this.stmt(`SELECT d.*, r.project_id FROM dead_letters d JOIN runs r ON r.id = d.run_id
      WHERE d.sink = ? AND d.run_id = ? AND d.status = 'replay' ORDER BY d.seq, d.idx`).all(sink, runId) as DeadLetterRow[]
    return rows.map(toDeadLetter)
  }

  async sinkStats (): Promise<SinkStats[]> {
    return sinkStats(this.stmt)
  }

  async backlog (): Promise<{ entries: number, partitions: number, oldestUndeliveredAt: number | null }> { return backlog(this.stmt) }

  async sizeBytes (): Promise<number> {
    const pages = this.db.pragma('page_count', { simple: true }) as number
    const size = this.db.pragma('page_size', { simple: true }) as number
    let wal = 0
    try { wal = statSync(`${this.file}-wal`).size } catch {}
    return pages * size + wal
  }

  async ping (): Promise<void> { this.stmt('SELECT 1').get() }

  async close (): Promise<void> {
    await this.checkpointer?.close()
    if (this.db.open) this.db.close()
  }
}
