import type { AddressedRecord } from '../domain/records.js'
import type { DeadLetterInput } from '../store/store.js'
import type { DeliveryContext, DeliveryResult, Sink } from '../sinks/sink.js'
import { classifyFailure } from './retry-policy.js'
import { toWireRecord } from './wire-record.js'

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
  const go = async (state: unknown, part: AddressedRecord[]): Promise<unknown> => {
    try {
      const r = await sink.deliver({ ...ctx, state }, part)
      wakeAt = r.wakeAt
      return r.state
    } catch (err) {
      const c = classifyFailure(err, ctx.signal.aborted)
      if (c.action !== 'reject' || part.length === 0) throw err
      if (part.length === 1) {
        const rec = part[0] as AddressedRecord
        deadLetters.push({ seq: rec.seq, idx: rec.idx, record: toWireRecord(rec), code: c.code, message: c.message })
        return state
      }
      const mid = Math.ceil(part.length / 2)
      const left = await go(state, part.slice(0, mid))
      return await go(left, part.slice(mid))
    }
  }
  const state = await go(ctx.state, records)
  return { result: wakeAt === undefined ? { state } : { state, wakeAt }, deadLetters }
}
