import { mkdir, open, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'

/** What the gateway knows of one (run, event file). */
export interface FileOffsets {
  /** Bytes [0, consumed) are settled: their records are in the run log (or were skipped). */
  consumed: number
  /**
   * The end of a range [consumed, pending) whose commit was started but not seen to finish (a crash
   * or a failed commit). The next upload re-commits exactly that range under the same batch id, so
   * the store's batch-id dedupe decides whether it is new: never stored twice, never lost.
   */
  pending?: number
  /** A length CRC failed here: later bytes cannot be framed and are consumed without records. */
  deadAt?: number
}

type RunTable = Record<string, FileOffsets>

/**
 * Per-run offset tables, one small JSON file per run under `<dataDir>/tfevents-offsets/`, written
 * atomically (temp file, fsync, rename) before and after each commit. It lives beside the store
 * because the Store interface has no per-run ingest cursor and may not change here; the
 * intent-then-commit order above keeps it exactly-once with the run log across crashes.
 * Several gateway replicas would each have their own table: this belongs in the Store then.
 */
export class OffsetTables {
  private readonly dir: string
  private readonly cache = new Map<string, Promise<RunTable>>()
  private readonly writes = new Map<string, Promise<void>>()
  private readonly locks = new Map<string, Promise<unknown>>()

  constructor (dataDir: string) {
    this.dir = join(dataDir, 'tfevents-offsets')
  }

  async get (runId: string, file: string): Promise<FileOffsets> {
    const table = await this.load(runId)
    return { consumed: 0, ...table[file] }
  }

  /** Durable when it resolves. Writes of one run are serialised, each saving every entry set so far. */
  async set (runId: string, file: string, offsets: FileOffsets): Promise<void> {
    const table = await this.load(runId)
    table[file] = offsets // only this file's lock holder reads this entry until the write is done
    const next = (this.writes.get(runId) ?? Promise.resolve()).catch(() => {}).then(async () => { await this.write(runId, table) })
    this.writes.set(runId, next)
    try {
      await next
    } finally {
      if (this.writes.get(runId) === next) this.writes.delete(runId)
    }
  }

  /** Runs `fn` alone for this (run, file): concurrent uploads of one file must not both start at one offset. */
  async exclusive<T> (runId: string, file: string, fn: () => Promise<T>): Promise<T> {
    const key = `${runId}\n${file}`
    const before = this.locks.get(key) ?? Promise.resolve()
    const mine = before.then(fn, fn)
    const tail = mine.catch(() => {})
    this.locks.set(key, tail)
    try {
      return await mine
    } finally {
      if (this.locks.get(key) === tail) this.locks.delete(key)
    }
  }

  private async write (runId: string, table: RunTable): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    const path = this.path(runId)
    const tmp = `${path}.tmp`
    const fh = await open(tmp, 'w')
    try {
      await fh.writeFile(JSON.stringify(table))
      await fh.datasync()
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
  }

  private async load (runId: string): Promise<RunTable> {
    let table = this.cache.get(runId)
    if (table === undefined) {
      table = this.read(runId)
      this.cache.set(runId, table)
      table.catch(() => { this.cache.delete(runId) })
    }
    return await table
  }

  private async read (runId: string): Promise<RunTable> {
    try {
      return JSON.parse(await readFile(this.path(runId), 'utf8')) as RunTable
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      return {}
    }
  }

  private path (runId: string): string {
    // Run ids are UUIDs (checked by the route schema), so they are safe file names.
    return join(this.dir, `${runId}.json`)
  }
}
