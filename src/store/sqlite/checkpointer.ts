import { Worker } from 'node:worker_threads'
import { createRequire } from 'node:module'

/**
 * WAL checkpoints off the event loop. With SQLite's automatic checkpoint, the commit that crosses
 * the threshold copies the WAL into the database (and fsyncs it) before returning: a stall of tens
 * to hundreds of milliseconds on the ack path. Here the request path's connection never
 * checkpoints; a worker thread with its own connection runs PASSIVE checkpoints on a timer. They
 * never take the writer lock (a TRUNCATE would, and stall every commit behind it); the WAL file is
 * reused from its start once a checkpoint has caught up, and `journal_size_limit` on the main
 * connection cuts it back to size then.
 */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.file)
db.pragma('busy_timeout = 200')
const fs = require('node:fs')
const tick = () => {
  try {
    let wal = 0
    try { wal = fs.statSync(workerData.file + '-wal').size } catch {}
    if (wal > 0) db.pragma('wal_checkpoint(PASSIVE)')
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) })
  }
}
const timer = setInterval(tick, workerData.intervalMs)
parentPort.on('message', (m) => {
  if (m === 'close') {
    clearInterval(timer)
    try { db.pragma('wal_checkpoint(TRUNCATE)') } catch {}
    db.close()
    parentPort.postMessage({ closed: true })
  }
})
`

export class Checkpointer {
  private readonly worker: Worker
  private closed = false

  constructor (file: string, opts: { intervalMs?: number, onError?: (message: string) => void } = {}) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3')
    this.worker = new Worker(WORKER, {
      eval: true,
      workerData: { file, driver, intervalMs: opts.intervalMs ?? 500 }
    })
    this.worker.unref()
    this.worker.on('message', (m: { error?: string }) => { if (m.error !== undefined) opts.onError?.(m.error) })
    this.worker.on('error', err => opts.onError?.(err.message))
  }

  /** A last checkpoint, then the worker's connection closes (before the main one does). */
  async close (): Promise<void> {
    if (this.closed) return
    this.closed = true
    await new Promise<void>(resolve => {
      const done = (): void => { this.worker.terminate().then(() => resolve(), () => resolve()) }
      const timer = setTimeout(done, 5000)
      this.worker.once('message', () => { clearTimeout(timer); done() })
      this.worker.once('exit', () => { clearTimeout(timer); resolve() })
      this.worker.postMessage('close')
    })
  }
}
