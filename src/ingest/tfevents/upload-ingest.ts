import { storeFailure } from '../../store/store-errors.js'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { toAppendRequest } from '../validate-batch.js'
import { describeParamValue } from '../../domain/param-value.js'
import { NotFound, RunEnded, StoreFull, TfeventsOffsetMismatch } from '../../errors.js'
import type { AppendResult } from '../../store/store.js'
import { type CorruptRecord, type FramedRecord, frameUpload } from './upload-framing.js'
import { uploadContent } from './upload-records.js'
import { runPrefix } from './tfevents-keys.js'

export interface UploadAnswer {
  consumed: number
  records: number
  scalars: number
  corrupt: CorruptRecord[]
  duplicate: boolean
  deadAt?: number
  paramConflicts?: string[]
}

export interface Upload { runId: string, file: string, offset: number, bytes: Buffer, log: FastifyBaseLogger }

/**
 * One upload of an event file's bytes from `offset`, run under the table's lock for (run, file).
 * Exactly once per byte range: a range is committed under batch id
 * `tfevents:<file>:<start>:<end>` only after the table holds it as pending, and marked consumed
 * before the answer. A re-sent consumed range is answered as a duplicate; an upload overlapping
 * the consumed offset is cut there (offsets the gateway answers are record boundaries, and the
 * file's bytes do not change); a pending range left by a crash or failed commit is re-committed
 * under the same batch id first, which the store's dedupe makes harmless.
 */
export async function ingestUpload (app: FastifyInstance, u: Upload): Promise<UploadAnswer> {
  const st = await app.store.getIngestOffsets(u.runId, u.file)
  if (u.offset > st.consumed) throw new TfeventsOffsetMismatch(JSON.stringify(u.file), u.offset, st.consumed)
  const uploadEnd = u.offset + u.bytes.length
  const answer: UploadAnswer = { consumed: st.consumed, records: 0, scalars: 0, corrupt: [], duplicate: false }
  if (st.deadAt !== undefined) answer.deadAt = st.deadAt
  if (uploadEnd <= st.consumed) {
    answer.duplicate = u.bytes.length > 0 && u.offset < st.consumed
    return answer
  }
  const base = st.consumed
  if (st.deadAt !== undefined) {
    await app.store.putIngestOffsets(u.runId, u.file, { consumed: uploadEnd, deadAt: st.deadAt }, Date.now())
    return { ...answer, consumed: uploadEnd }
  }
  const framed = frameUpload(u.bytes.subarray(base - u.offset), base, app.config.maxBodyBytes)
  const prefix = runPrefix(u.file)
  const corrupt = (upTo: number): CorruptRecord[] => framed.corrupt.filter(c => c.offset < upTo)

  let from = base
  let records = framed.records
  if (st.pending !== undefined) {
    const pending = st.pending
    if (framed.end < pending) return answer // not yet the bytes of the unfinished range
    const first = records.filter(r => r.end <= pending)
    await commitRange(app, u, prefix, from, pending, first, answer)
    records = records.filter(r => r.end > pending)
    from = answer.consumed
    if (from < pending) return answer
  }
  // An upload holds more points than one batch may (10,000 by default): commit batch after batch,
  // so one 4 MB upload of add_scalar records is consumed in one round trip.
  let to = from
  for (;;) {
    to = await commitRange(app, u, prefix, from, framed.end, records, answer, framed.deadAt)
    if (to >= framed.end || to === from) break
    const next = records.findIndex(r => r.start >= to)
    records = next < 0 ? [] : records.slice(next)
    from = to
  }
  answer.corrupt.push(...corrupt(to))
  answer.corrupt.sort((a, b) => a.offset - b.offset)
  for (const c of answer.corrupt) {
    u.log.warn({ runId: u.runId, file: u.file, offset: c.offset, reason: c.reason }, 'tfevents record skipped')
    await app.store.addIngestDeadLetter(u.runId, { source: 'tfevents', file: u.file, offset: c.offset, code: `TG_TFEVENTS_${c.reason.toUpperCase()}`, message: c.message, record: { reason: c.reason } }, Date.now())
  }
  return answer
}

/** Commits the records of [from, to) (cut earlier at a batch limit); returns the new consumed offset. */
async function commitRange (
  app: FastifyInstance, u: Upload, prefix: string, from: number, to: number,
  records: FramedRecord[], answer: UploadAnswer, deadAt?: number
): Promise<number> {
  const content = uploadContent(records, prefix, to, app.config.maxMetricsPerBatch)
  const end = content.end
  const dead = deadAt !== undefined && end === to ? { deadAt } : {}
  answer.records += content.records
  answer.scalars += content.scalars
  answer.corrupt.push(...content.corrupt)
  if (content.metrics.length + Object.keys(content.params).length + Object.keys(content.tags).length > 0) {
    await app.store.putIngestOffsets(u.runId, u.file, { consumed: from, pending: end }, Date.now())
    const batchId = `tfevents:${u.file}:${from}:${end}`
    const params = { ...content.params }
    for (;;) {
      // The same checks and limits as the native API: one write path.
      const req = toAppendRequest(u.runId, { batchId, metrics: content.metrics, params, tags: content.tags }, Date.now(), app.config.maxMetricsPerBatch)
      const result = await submit(app, req)
      if (result.ok) {
        if (result.duplicate) answer.duplicate = true
        break
      }
      if (result.error === 'param_conflict') {
        // An hparam already logged with another value: keep the points, report the param.
        delete params[result.key]
        answer.paramConflicts = [...(answer.paramConflicts ?? []), result.key]
        u.log.warn({ runId: u.runId, file: u.file, key: result.key, existing: describeParamValue(result.existing) }, 'tfevents hparam conflicts with a stored param; not stored')
        if (Object.keys(params).length === 0 && content.metrics.length + Object.keys(content.tags).length === 0) break
        continue
      }
      if (result.error === 'run_ended') throw new RunEnded(u.runId, result.status)
      throw new NotFound(`run ${u.runId}`)
    }
  }
  await app.store.putIngestOffsets(u.runId, u.file, { consumed: end, ...dead }, Date.now())
  if (dead.deadAt !== undefined) answer.deadAt = dead.deadAt
  answer.consumed = end
  return end
}

async function submit (app: FastifyInstance, req: Parameters<FastifyInstance['committer']['submit']>[0]): Promise<AppendResult> {
  try {
    return await app.committer.submit(req)
  } catch (err) {
    if (storeFailure(err) === 'full') throw new StoreFull()
    throw err
  }
}
