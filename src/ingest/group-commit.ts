import type { AppendRequest, AppendResult, Store } from '../store/store.js'

interface Waiting { req: AppendRequest, resolve: (r: AppendResult) => void, reject: (e: unknown) => void }

/**
 * Group commit: every ingest request that arrives while the event loop is busy joins one
 * transaction, so one fsync acknowledges many requests. A request's promise resolves only after
 * the commit that holds it; a failed commit rejects every request in it (nothing acknowledged).
 */
export class GroupCommitter {
  private queue: Waiting[] = []
  private scheduled = false
  private readonly store: Store
  private readonly maxGroup: number
  private readonly onCommitted: (runIds: Set<string>) => void

  constructor (store: Store, onCommitted: (runIds: Set<string>) => void, maxGroup = 1024) {
    this.store = store
    this.onCommitted = onCommitted
    this.maxGroup = maxGroup
  }

  submit (req: AppendRequest): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ req, resolve, reject })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => { this.flush().catch(() => {}) })
      }
    })
  }

  private async flush (): Promise<void> {
    const group = this.queue.splice(0, this.maxGroup)
    try {
      const results = await this.store.append(group.map(w => w.req))
      const runs = new Set<string>()
      group.forEach((w, i) => {
        const r = results[i] as AppendResult
        if (r.ok && !r.duplicate) runs.add(w.req.runId)
        w.resolve(r)
      })
      if (runs.size > 0) this.onCommitted(runs)
    } catch (err) {
      for (const w of group) w.reject(err)
    } finally {
      if (this.queue.length > 0) setImmediate(() => { this.flush().catch(() => {}) })
      else this.scheduled = false
    }
  }
}
