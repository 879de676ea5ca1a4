import type { AddressedRecord } from '../domain/records.js'
import type { DeadLetterInput } from '../store/store.js'
import type { DeliveryContext, DeliveryResult, Sink } from '../sinks/sink.js'
import { classifyFailure } from './retry-policy.js'
import { toWireRecord } from './wire-record.js'

/**
 * A sink may name why it refused a record as a `reason:` prefix of its message (W&B's `late_step`,
 * `after_status`); that becomes the dead letter's code (`TG_LATE_STEP`), which says more than
 * TG_SINK_REJECTED.
 */
export function deadLetterCode (code: string, message: string): string {
  const reason = /^([a-z][a-z0-9_]{2,40}):/.exec(message)?.[1]
  return reason === undefined ? code : `TG_${reason.toUpperCase()}`
}

export interface BisectOutcome { result: DeliveryResult, deadLetters: DeadLetterInput[] }

/**
 * Deliver `records`; when the sink rejects them for good, split the batch in halves until the
 * offending records stand alone, dead-letter those and deliver the rest, in order. Transient
 * failures propagate (the whole batch is retried later from the committed state, and dead letters
 * found so far are not kept: they are found again). State threads through the halves.
 */
export async function deliverWithBisect (sink: Sink, ctx: DeliveryContext, records: AddressedRecord[]): Promise<BisectOutcome> {
  const deadLetters: DeadLetterInput[] = []
  let wakeAt: number | undefined
  let delivered = false
  const go = async (state: unknown, part: AddressedRecord[]): Promise<unknown> => {
    try {
      const r = await sink.deliver({ ...ctx, state }, part)
      wakeAt = r.wakeAt
      delivered = true
      return r.state
    } catch (err) {
      const c = classifyFailure(err, ctx.signal.aborted)
      if (c.action !== 'reject' || part.length === 0) throw err
      if (part.length === 1) {
        const rec = part[0] as AddressedRecord
        deadLetters.push({ seq: rec.seq, idx: rec.idx, record: toWireRecord(rec), code: deadLetterCode(c.code, c.message), message: c.message })
        return state
      }
      const mid = Math.ceil(part.length / 2)
      const left = await go(state, part.slice(0, mid))
      return await go(left, part.slice(mid))
    }
  }
  let state = await go(ctx.state, records)
  // Every record was refused: no call succeeded, so the sink has not said what it wants next (a
  // wake-up for rows it still holds, say). Ask it with an empty delivery, so a previous wake-up is
  // not lost with this batch.
  if (!delivered && records.length > 0) state = await go(state, [])
  return { result: wakeAt === undefined ? { state } : { state, wakeAt }, deadLetters }
}
