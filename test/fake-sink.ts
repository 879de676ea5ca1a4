import type { AddressedRecord } from '../src/domain/records.js'
import type { DeliveryContext, DeliveryResult, Sink } from '../src/sinks/sink.js'
import { SinkError } from '../src/sinks/sink-error.js'

/**
 * How the fake remote behaves on the next deliveries:
 * - ok: stores everything (except poison records, which it rejects for good);
 * - transient: answers "unavailable" without storing anything;
 * - transient-after-store: stores the first half of the batch, then the "response is lost";
 * - throttle: 429 with a short Retry-After;
 * - hold: stores the batch, then keeps the request open until `release()` or the dispatcher aborts
 *   (the window between "remote accepted" and "cursor committed").
 */
export type FakeMode = 'ok' | 'transient' | 'transient-after-store' | 'throttle' | 'hold'

export interface StoredRecord { seq: number, idx: number, key: string, step: number, value: number }

/** The fake's durable state, committed by the dispatcher with the cursor. */
interface FakeState { last: [number, number] | null }

const cmp = (a: [number, number], b: [number, number]): number => a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1]

/**
 * An in-memory sink that applies the idempotency rule of a real adapter (a record is identified by
 * its (seq, idx) address; storing it again is a no-op, as MLflow does for identical tuples), and
 * keeps enough evidence to check the dispatcher: every receipt (including re-sends), and protocol
 * violations (a record re-sent although an earlier committed state already covered it, records out
 * of order, two deliveries for one run at the same time).
 */
export class FakeSink implements Sink {
  readonly name: string
  readonly maxBatchRecords: number
  mode: FakeMode = 'ok'
  /** What the remote stores, per run, in the order it stored it. */
  readonly stored = new Map<string, StoredRecord[]>()
  /** Every record received, per run, as `seq:idx` (a re-send shows up twice here, not in `stored`). */
  readonly receipts = new Map<string, string[]>()
  readonly violations: string[] = []
  /** Records with this key are refused for good (TG_SINK_REJECTED). */
  readonly poisonKey: string
  private readonly seen = new Map<string, Set<string>>()
  private readonly busy = new Set<string>()
  private holds: Array<() => void> = []
  private holdWaiters: Array<() => void> = []
  holding = 0

  constructor (opts: { name?: string, maxBatchRecords?: number, poisonKey?: string } = {}) {
    this.name = opts.name ?? 'fake'
    this.maxBatchRecords = opts.maxBatchRecords ?? 1000
    this.poisonKey = opts.poisonKey ?? 'poison'
  }

  storedFor (runId: string): StoredRecord[] { return this.stored.get(runId) ?? [] }
  receiptsFor (runId: string): string[] { return this.receipts.get(runId) ?? [] }

  /** Let every held delivery answer (success). */
  release (): void {
    const h = this.holds
    this.holds = []
    for (const r of h) r()
  }

  /** Resolves when a delivery is being held open (at once if one already is). */
  async waitForHold (ms: number): Promise<boolean> {
    if (this.holding > 0) return true
    return await new Promise<boolean>(resolve => {
      const timer = setTimeout(() => { this.holdWaiters = this.holdWaiters.filter(w => w !== done); resolve(false) }, ms)
      const done = (): void => { clearTimeout(timer); resolve(true) }
      this.holdWaiters.push(done)
    })
  }

  private store (runId: string, records: AddressedRecord[]): void {
    let seen = this.seen.get(runId)
    if (seen === undefined) { seen = new Set(); this.seen.set(runId, seen) }
    let list = this.stored.get(runId)
    if (list === undefined) { list = []; this.stored.set(runId, list) }
    for (const r of records) {
      const id = `${r.seq}:${r.idx}`
      if (seen.has(id)) continue
      seen.add(id)
      if (r.kind !== 'metric') continue
      list.push({ seq: r.seq, idx: r.idx, key: r.key, step: r.step, value: r.value })
    }
  }

  async deliver (ctx: DeliveryContext, records: AddressedRecord[]): Promise<DeliveryResult> {
    const runId = ctx.run.id
    if (this.busy.has(runId)) this.violations.push(`two deliveries in flight for run ${runId}`)
    this.busy.add(runId)
    try {
      return await this.handle(ctx, records)
    } finally {
      this.busy.delete(runId)
    }
  }

  private async handle (ctx: DeliveryContext, records: AddressedRecord[]): Promise<DeliveryResult> {
    const runId = ctx.run.id
    const state = (ctx.state as FakeState | null) ?? { last: null }
    let prev = state.last
    for (const r of records) {
      const at: [number, number] = [r.seq, r.idx]
      if (state.last !== null && cmp(at, state.last) <= 0) {
        this.violations.push(`run ${runId}: ${r.seq}:${r.idx} re-sent although the committed state covers ${state.last.join(':')}`)
      }
      if (prev !== null && cmp(at, prev) <= 0) this.violations.push(`run ${runId}: ${r.seq}:${r.idx} out of order after ${prev.join(':')}`)
      prev = at
    }
    let rec = this.receipts.get(runId)
    if (rec === undefined) { rec = []; this.receipts.set(runId, rec) }
    rec.push(...records.map(r => `${r.seq}:${r.idx}`))

    const mode = this.mode
    if (mode === 'transient') throw new SinkError('TG_SINK_UNAVAILABLE', 'fake: 503')
    if (mode === 'throttle') throw new SinkError('TG_SINK_THROTTLED', 'fake: 429', { status: 429, retryAfterMs: 30 })
    if (mode === 'transient-after-store') {
      this.store(runId, records.slice(0, Math.ceil(records.length / 2)).filter(r => !this.isPoison(r)))
      throw Object.assign(new Error('fake: socket hang up'), { code: 'ECONNRESET' })
    }
    if (records.some(r => this.isPoison(r))) throw new SinkError('TG_SINK_REJECTED', 'fake: 400 poison record', { status: 400 })
    this.store(runId, records)
    if (mode === 'hold') {
      this.holding++
      const waiters = this.holdWaiters
      this.holdWaiters = []
      for (const w of waiters) w()
      try {
        await new Promise<void>((resolve, reject) => {
          const onAbort = (): void => reject(Object.assign(new Error('fake: aborted'), { name: 'AbortError' }))
          if (ctx.signal.aborted) { onAbort(); return }
          ctx.signal.addEventListener('abort', onAbort, { once: true })
          this.holds.push(() => { ctx.signal.removeEventListener('abort', onAbort); resolve() })
        })
      } finally {
        this.holding--
      }
    }
    const last = records[records.length - 1]
    return { state: { last: last === undefined ? state.last : [last.seq, last.idx] } satisfies FakeState }
  }

  private isPoison (r: AddressedRecord): boolean {
    return r.kind === 'metric' && r.key === this.poisonKey
  }
}
