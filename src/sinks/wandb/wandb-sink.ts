import type { AddressedRecord } from '../../domain/records.js'
import { SinkError } from '../sink-error.js'
import type { DeliveryContext, DeliveryResult, Sink } from '../sink.js'
import { WandbClient } from './client.js'
import { DEFAULT_PROJECT_LIMITS, projectLimiter, rateLimitWaitMs, type ProjectLimiter, type ProjectLimits } from './limits.js'
import { applyRecords, closeRow } from './rows.js'
import { loadState, type WandbState } from './state.js'
import { acknowledge, fileStreamPath, hasStreamWork, planRequest } from './stream.js'
import { metaDirty, remoteFrom, UPSERT_BUCKET, upsertVariables, VIEWER, type UpsertAnswer } from './upsert.js'

export interface WandbSinkOptions {
  baseUrl: string
  apiKey: string
  /** W&B entity (user or team); the key's default entity (from `viewer`) when absent. */
  entity?: string
  project: string
  /** Close a step's row after this long without new metrics for it (default 5 s). */
  rowIdleMs?: number
  /** Send `{}` after this long without a request, well under W&B's 5-minute crash sweep (30 s). */
  heartbeatMs?: number
  requestTimeoutMs?: number
  /** Minimum gap between the end of one file_stream request and the next, per run (550 ms ≈ 1.8/s). */
  minRequestIntervalMs?: number
  /** Byte cap per file_stream request (W&B's ~10 MiB). */
  maxRequestBytes?: number
  /** Rows queued in state beyond which new records are pushed back with THROTTLED. */
  maxPendingLines?: number
  maxBatchRecords?: number
  projectLimits?: Partial<ProjectLimits>
  /** Called when W&B answers `stopped: true` for a run (the user pressed Stop in the UI). */
  onStopRequested?: (runId: string) => void
}

export function createWandbSink (opts: WandbSinkOptions): Sink {
  const baseUrl = opts.baseUrl.replace(/\/+$/, '')
  const rowIdleMs = opts.rowIdleMs ?? 5000
  const heartbeatMs = opts.heartbeatMs ?? 30_000
  const minInterval = opts.minRequestIntervalMs ?? 550
  const maxRequestBytes = opts.maxRequestBytes ?? 10 * 1024 * 1024
  const maxPendingLines = opts.maxPendingLines ?? 10_000
  const limits = { ...DEFAULT_PROJECT_LIMITS, ...opts.projectLimits }
  const client = new WandbClient(baseUrl, opts.apiKey, opts.requestTimeoutMs ?? 30_000)
  // In memory only: when each run last sent and how long the server asked it to hold off. After
  // a failed request the state is not committed, yet the retry must still be paced.
  const lastSend = new Map<string, number>()
  const blockedUntil = new Map<string, number>()
  let viewer: Promise<string> | undefined

  /** Checks the key once per sink instance and learns the default entity (reference §1.4). */
  function defaultEntity (signal: AbortSignal): Promise<string> {
    viewer ??= client.graphql<{ viewer: { entity?: string } | null }>('Viewer', VIEWER, undefined, signal).then(({ data }) => {
      if (data.viewer === null) throw new SinkError('TG_SINK_AUTH', 'W&B viewer: the API key is not valid (viewer is null)')
      const entity = opts.entity ?? data.viewer.entity
      if (entity === undefined || entity === '') throw new SinkError('TG_SINK_AUTH', 'W&B viewer: no default entity for this key; set an entity')
      return entity
    })
    return viewer.catch((err: unknown) => {
      viewer = undefined
      throw err
    })
  }

  async function upsert (ctx: DeliveryContext, s: WandbState, entity: string): Promise<boolean> {
    const vars = upsertVariables(ctx.run, s, opts.project, entity)
    const { data } = await client.graphql<UpsertAnswer>('UpsertBucket', UPSERT_BUCKET, vars, ctx.signal)
    const result = remoteFrom(data)
    if (result === undefined) throw new SinkError('TG_SINK_UNAVAILABLE', 'W&B UpsertBucket: empty answer')
    s.remote = result.remote
    if (vars.config !== null) s.sentConfig = vars.config as string
    if (vars.tags !== null) s.sentTags = vars.tags as string[]
    return result.inserted
  }

  return {
    name: 'wandb',
    maxBatchRecords: opts.maxBatchRecords ?? 5000,
    async deliver (ctx: DeliveryContext, records: AddressedRecord[]): Promise<DeliveryResult> {
      const entity = await defaultEntity(ctx.signal)
      const s = loadState(ctx.state, maxRequestBytes)
      const start = Date.now()
      // Idle close only on a wake-up with nothing new: a batch that arrives late (say, after an
      // outage) may still hold more of the open step, which must merge rather than be refused.
      if (records.length === 0 && s.open !== null && start - s.open.touchedAt >= rowIdleMs) closeRow(s, ctx.run.createdAt)
      const refusals = applyRecords(s, records, start, ctx.run.createdAt)
      if (refusals.length > 0) {
        const first = refusals[0] as (typeof refusals)[number]
        throw new SinkError('TG_SINK_REJECTED', refusals.length === 1 ? first.message : `${first.message} (and ${refusals.length - 1} more)`)
      }
      const limiter = projectLimiter(baseUrl, entity, opts.project, limits)
      const sentAt = await send(ctx, s, entity, limiter)
      return { state: s, ...wakeAt(ctx.run.id, s, sentAt) }
    },
    async close () {
      await client.close()
    }
  }

  /** The earliest a run may send again: pacing, and whatever the server asked for. */
  function slotAt (runId: string, s: WandbState): number {
    return Math.max(Math.max(s.lastSendAt, lastSend.get(runId) ?? 0) + minInterval, blockedUntil.get(runId) ?? 0)
  }

  /**
   * At most one file_stream request per call (the dispatcher keeps one call in flight per run).
   * Returns when the next send is possible, or nothing when the call sent nothing it had to.
   */
  async function send (ctx: DeliveryContext, s: WandbState, entity: string, limiter: ProjectLimiter): Promise<number | undefined> {
    const runId = ctx.run.id
    let now = Date.now()
    const heartbeat = s.remote !== null && !s.completed && now - Math.max(s.lastSendAt, lastSend.get(runId) ?? 0) >= heartbeatMs
    const work = hasStreamWork(s)
    if (!work && !heartbeat && !metaDirty(ctx.run, s)) return undefined
    const defer = (until: number): number => {
      // Queued rows live in committed state; past the cap, push the records back instead.
      if (s.pending.length > maxPendingLines) throw new SinkError('TG_SINK_THROTTLED', `W&B: ${s.pending.length} rows queued for run ${runId}`, { retryAfterMs: until - now })
      return until
    }
    if (metaDirty(ctx.run, s)) {
      const wait = s.remote === null ? limiter.create(runId, now) : 0
      if (wait > 0) return defer(now + wait)
      await upsert(ctx, s, entity)
      now = Date.now()
    }
    if (!work && !heartbeat) return undefined
    if (now < slotAt(runId, s)) return defer(slotAt(runId, s))
    const req = planRequest(s, ctx.run.createdAt)
    const wait = limiter.request(runId, req.body.length, now)
    if (wait > 0) return defer(now + wait)
    let answer = await post(runId, s, req.body, ctx.signal)
    if (answer.status === 404) {
      // The run path is unknown: the canonical entity or project may have changed. Upsert again
      // once; a run that comes back freshly created lost its rows, so it is parked, not refilled.
      const hadRows = s.acked > 0
      s.remote = null
      const inserted = await upsert(ctx, s, entity)
      if (inserted && hadRows) throw new SinkError('TG_SINK_GONE', `W&B: run ${runId} was deleted on W&B (re-created empty); stream parked`, { status: 404 })
      answer = await post(runId, s, req.body, ctx.signal)
      if (answer.status === 404) throw new SinkError('TG_SINK_GONE', client.redact(`W&B file_stream for run ${runId}: HTTP 404 after upsertBucket: ${answer.text.slice(0, 200)}`), { status: 404 })
    }
    const done = Date.now()
    if (answer.status === 413 && req.lines > 1) {
      // Too big for this server: halve the cap and resend the same offsets in smaller pieces.
      s.chunkBytes = Math.max(1, Math.floor(req.body.length / 2))
      return slotAt(runId, s)
    }
    if (answer.status < 200 || answer.status >= 300) throw failure(answer, runId, done)
    acknowledge(s, req, done)
    try {
      if ((JSON.parse(answer.text) as { stopped?: unknown }).stopped === true && !s.stopRequested) {
        s.stopRequested = true
        opts.onStopRequested?.(runId)
      }
    } catch { /* Go ignores an undecodable answer too */ }
    if (s.completed) {
      limiter.forget(runId)
      lastSend.delete(runId)
      blockedUntil.delete(runId)
    }
    return hasStreamWork(s) ? slotAt(runId, s) : undefined
  }

  async function post (runId: string, s: WandbState, body: string, signal: AbortSignal) {
    lastSend.set(runId, Date.now())
    const answer = await client.post(fileStreamPath(s.remote as NonNullable<WandbState['remote']>), body, signal)
    const done = Date.now()
    lastSend.set(runId, done)
    const wait = rateLimitWaitMs(answer.headers)
    if (wait > 0) blockedUntil.set(runId, done + wait)
    return answer
  }

  function failure (answer: Awaited<ReturnType<typeof post>>, runId: string, done: number): SinkError {
    const err = client.failure(answer, `file_stream for run ${runId}`)
    if (err.code === 'TG_SINK_THROTTLED' || err.code === 'TG_SINK_UNAVAILABLE') {
      const floor = Math.max(err.retryAfterMs ?? 0, (blockedUntil.get(runId) ?? 0) - done)
      return floor > 0 ? new SinkError('TG_SINK_THROTTLED', err.message, { status: answer.status, retryAfterMs: floor }) : err
    }
    // 400/409/410/422/413 concern the run's stream, not one record: bisecting would dead-letter
    // every record of the batch while the queued rows stayed stuck, so park the run instead.
    if (err.code === 'TG_SINK_REJECTED') return new SinkError('TG_SINK_GONE', `${err.message} (stream parked)`, { status: answer.status })
    return err
  }

  function wakeAt (runId: string, s: WandbState, sendAt: number | undefined): { wakeAt?: number } {
    const times: number[] = []
    const now = Date.now()
    if (s.open !== null) times.push(s.open.touchedAt + rowIdleMs)
    if (sendAt !== undefined) times.push(sendAt)
    if (s.remote !== null && !s.completed) times.push(Math.max(s.lastSendAt, lastSend.get(runId) ?? 0) + heartbeatMs)
    return times.length > 0 ? { wakeAt: Math.max(now + 1, Math.min(...times)) } : {}
  }
}
