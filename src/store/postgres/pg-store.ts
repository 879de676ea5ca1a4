import type pg from 'pg'
import type { LogEntry } from '../../domain/log-entry.js'
import type { TerminalStatus } from '../../domain/records.js'
import type { ParamValue } from '../../domain/param-value.js'
import type {
  ApiKey, AppendRequest, AppendResult, Cursor, DeadLetter, FailureUpdate, IngestDeadLetterInput, IngestOffsets, NewRun, Project, Run, RunFilter, SinkStats, Store
} from '../store.js'
import { openPool, type PgOptions } from './open-pool.js'
import { migratePg } from './pg-migrations.js'
import { PG_HISTORIES } from './pg-schema.js'
import { withTransaction } from './pg-transaction.js'
import { appendInPgTransaction } from './pg-append.js'
import * as runs from './pg-runs.js'
import * as delivery from './pg-delivery.js'
import * as dead from './pg-dead-letters.js'
import * as projects from './pg-project-queries.js'
import * as offsets from './pg-ingest-offsets.js'
import { backlog, sinkStats } from './pg-delivery-stats.js'
import { PgLeases } from './pg-leases.js'
import type { Lease } from '../lease-store.js'

/**
 * The shared store: PostgreSQL through a pool, for several replicas on one database. Every method
 * answers from the database (no per-process cache of the run log: another replica may have
 * appended). `new PgStore(opts)` connects nothing; `open()` (or `PgStore.connect(opts)`) applies
 * the migrations, core and jobs, so jobs and tuning stores on `pool` find their tables.
 */
export class PgStore implements Store {
  readonly pool: pg.Pool
  readonly leases: PgLeases
  private readonly graceMs: number
  private closed = false

  constructor (opts: PgOptions) {
    this.pool = openPool(opts)
    this.leases = new PgLeases(this.pool)
    this.graceMs = opts.tokenGraceMs
  }

  static async connect (opts: PgOptions): Promise<PgStore> {
    const store = new PgStore(opts)
    try {
      return await store.open()
    } catch (err) {
      await store.close()
      throw err
    }
  }

  async open (): Promise<this> {
    await migratePg(this.pool, PG_HISTORIES)
    return this
  }

  async createProject (p: Project): Promise<Project> { return await projects.createProject(this.pool, p) }
  async getProject (id: string): Promise<Project | undefined> { return await projects.getProject(this.pool, id) }
  async createApiKey (k: ApiKey & { hash: string }): Promise<void> { await projects.createApiKey(this.pool, k) }
  async findApiKey (hash: string): Promise<ApiKey | undefined> { return await projects.findApiKey(this.pool, hash) }
  async listApiKeys (projectId: string): Promise<Array<ApiKey & { createdAt: number }>> { return await projects.listApiKeys(this.pool, projectId) }
  async revokeApiKey (projectId: string, keyId: string): Promise<boolean> { return await projects.revokeApiKey(this.pool, projectId, keyId) }

  async createRun (n: NewRun): Promise<Run> { return await runs.createRun(this.pool, n, this.graceMs) }
  async getRun (id: string): Promise<Run | undefined> { return await runs.getRun(this.pool, id) }
  async listRuns (projectId: string, f: RunFilter): Promise<Run[]> { return await runs.listRuns(this.pool, projectId, f) }
  async finishRun (id: string, status: TerminalStatus, now: number): Promise<{ run: Run, changed: boolean }> { return await runs.finishRun(this.pool, id, status, now) }
  async getParams (runId: string): Promise<Record<string, ParamValue>> { return await runs.getParams(this.pool, runId) }
  async mergeRunTags (runId: string, tags: Record<string, string>): Promise<void> { await runs.mergeRunTags(this.pool, runId, tags) }
  async getTags (runId: string): Promise<Record<string, string>> { return (await this.getRun(runId))?.tags ?? {} }
  async setRunToken (runId: string, tokenHash: string): Promise<void> { await runs.setRunToken(this.pool, runId, tokenHash) }

  /** The whole group in one transaction: one COMMIT (one WAL flush) acknowledges every request of it. */
  async append (batch: AppendRequest[]): Promise<AppendResult[]> {
    if (batch.length === 0) return []
    return await withTransaction(this.pool, async c => await appendInPgTransaction(c, batch, this.graceMs))
  }

  async readEntries (runId: string, afterSeq: number, limit: number): Promise<LogEntry[]> { return await runs.readEntries(this.pool, runId, afterSeq, limit) }

  async addCursor (runId: string, sink: string, now: number): Promise<boolean> { return await delivery.addCursor(this.pool, runId, sink, now) }
  async listCursors (runId: string): Promise<Cursor[]> { return await delivery.listCursors(this.pool, runId) }
  async cursorsDue (now: number, limit: number): Promise<Cursor[]> { return await delivery.cursorsDue(this.pool, now, limit) }
  async cursorsForRuns (runIds: string[]): Promise<Cursor[]> { return await delivery.cursorsForRuns(this.pool, runIds) }
  async commitDelivery (c: Parameters<Store['commitDelivery']>[0]): Promise<void> { await delivery.commitDelivery(this.pool, c) }
  async recordFailure (sink: string, runId: string, u: FailureUpdate, now: number, lease?: Lease): Promise<void> { await delivery.recordFailure(this.pool, sink, runId, u, now, lease) }
  async resumeCursor (sink: string, runId: string, now: number): Promise<boolean> { return await delivery.resumeCursor(this.pool, sink, runId, now) }

  async getIngestOffsets (runId: string, file: string): Promise<IngestOffsets> { return await offsets.getIngestOffsets(this.pool, runId, file) }
  async putIngestOffsets (runId: string, file: string, o: IngestOffsets, now: number): Promise<void> { await offsets.putIngestOffsets(this.pool, runId, file, o, now) }
  async addIngestDeadLetter (runId: string, d: IngestDeadLetterInput, now: number): Promise<void> { await offsets.addIngestDeadLetter(this.pool, runId, d, now) }

  async getSinkTarget (projectId: string, sink: string): Promise<Record<string, unknown> | undefined> { return await projects.getSinkTarget(this.pool, projectId, sink) }
  async putSinkTarget (projectId: string, sink: string, config: Record<string, unknown>, now: number): Promise<void> { await projects.putSinkTarget(this.pool, projectId, sink, config, now) }
  async deleteSinkTarget (projectId: string, sink: string): Promise<boolean> { return await projects.deleteSinkTarget(this.pool, projectId, sink) }
  async listSinkTargets (projectId: string): Promise<Array<{ sink: string, config: Record<string, unknown>, updatedAt: number }>> { return await projects.listSinkTargets(this.pool, projectId) }
  async listAllSinkTargets (): Promise<Array<{ projectId: string, sink: string, config: Record<string, unknown>, updatedAt: number }>> { return await projects.listAllSinkTargets(this.pool) }

  async listDeadLetters (projectId: string, f: { runId?: string, sink?: string, limit: number, afterId?: number }): Promise<DeadLetter[]> { return await dead.listDeadLetters(this.pool, projectId, f) }
  async getDeadLetter (id: number): Promise<DeadLetter | undefined> { return await dead.getDeadLetter(this.pool, id) }
  async replayDeadLetter (id: number, now: number): Promise<void> { await dead.replayDeadLetter(this.pool, id, now) }
  async discardDeadLetter (id: number): Promise<void> { await dead.discardDeadLetter(this.pool, id) }
  async replaysFor (sink: string, runId: string): Promise<DeadLetter[]> { return await dead.replaysFor(this.pool, sink, runId) }

  async sinkStats (): Promise<SinkStats[]> { return await sinkStats(this.pool) }
  async backlog (): Promise<{ entries: number, partitions: number, oldestUndeliveredAt: number | null }> { return await backlog(this.pool) }

  async sizeBytes (): Promise<number> {
    const r = (await this.pool.query<{ size: number }>('SELECT pg_database_size(current_database()) AS size')).rows[0]
    return r?.size ?? 0
  }

  async ping (): Promise<void> { await this.pool.query('SELECT 1') }

  /** Ends the pool (waits for checked-out connections to come back); a second call does nothing. */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.pool.end()
  }
}
