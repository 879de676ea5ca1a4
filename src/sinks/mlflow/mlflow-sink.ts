import type { AwsCredentialIdentityProvider } from '@smithy/types'
import type { AddressedRecord } from '../../domain/records.js'
import type { DeliveryContext, DeliveryResult, Sink } from '../sink.js'
import { SinkError } from '../sink-error.js'
import { resolveTarget, type MlflowTarget } from './auth.js'
import { createMlflowClient, mlflowErrorOf, type MlflowClient } from './client.js'
import { encodeLogBatches, paramTooLong, type BatchableRecord, type LogBatchBody, type LogBatchLimits, LOG_BATCH_LIMITS } from './encode.js'
import { createRunOpener } from './open-run.js'

export interface MlflowSinkOptions {
  /** `http(s)://host[:port][/prefix]` (OSS) or a SageMaker `arn:aws:sagemaker:…:mlflow-tracking-server/NAME` / `…:mlflow-app/ID`. */
  trackingUri: string
  /** MLFLOW_TRACKING_TOKEN → Bearer. */
  token?: string
  /** MLFLOW_TRACKING_USERNAME/PASSWORD → Basic (wins over the token, as in MLflow). */
  username?: string
  password?: string
  /** SigV4 credentials for SageMaker; default: the AWS default provider chain. */
  credentials?: AwsCredentialIdentityProvider
  /** Per HTTP request; MLflow's own client waits 120 s, and a duplicate batch can take seconds on old servers. */
  requestTimeoutMs?: number
  /** SageMaker host override (SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT), e.g. a VPC endpoint or the test emulator. */
  endpointUrl?: string
  /** Records per deliver; 5 log-batch requests of 1000 points each. */
  maxBatchRecords?: number
  /** Tighter limits, for servers with smaller caps. */
  limits?: Partial<LogBatchLimits>
  /** Signing clock (tests). */
  now?: () => number
}

/** What we keep per (mlflow, run) partition, committed with the cursor. */
export interface MlflowSinkState {
  v: 1
  /** Which server the ids belong to (base URL / ARN, no secrets); another server means another run. */
  target: string
  experimentId: string
  runId: string
}

export interface MlflowSink extends Sink {
  /** HTTP requests sent so far. */
  readonly requestsSent: number
}

export function createMlflowSink (opts: MlflowSinkOptions): MlflowSink {
  const limits: LogBatchLimits = { ...LOG_BATCH_LIMITS, ...opts.limits }
  // Resolution may load the AWS provider chain; do it once, lazily, and surface errors on deliver.
  let ready: Promise<{ target: MlflowTarget, client: MlflowClient, opener: ReturnType<typeof createRunOpener> }> | undefined
  const setup = async () => {
    ready ??= resolveTarget(opts).then(target => {
      const client = createMlflowClient(target, { requestTimeoutMs: opts.requestTimeoutMs ?? 120_000 })
      return { target, client, opener: createRunOpener(client) }
    })
    ready.catch(() => { ready = undefined })
    return await ready
  }
  let activeClient: MlflowClient | undefined

  return {
    name: 'mlflow',
    maxBatchRecords: opts.maxBatchRecords ?? 5000,
    get requestsSent () { return activeClient?.sent ?? 0 },
    async deliver (ctx: DeliveryContext, records: AddressedRecord[]): Promise<DeliveryResult> {
      if (records.length === 0) return { state: ctx.state }
      const tooLong = paramTooLong(records, limits.paramValueChars)
      if (tooLong !== undefined) throw new SinkError('TG_SINK_REJECTED', tooLong)
      const { target, client, opener } = await setup()
      activeClient = client
      const prior = readState(ctx.state, target.describe)
      const ref = prior ?? await opener.open(ctx.run, ctx.signal)
      const send = async (batch: BatchableRecord[]): Promise<void> => {
        for (const body of encodeLogBatches(ref.runId, batch, limits)) await sendBatch(client, body, ctx.signal)
      }
      let pending: BatchableRecord[] = []
      for (const r of records) {
        if (r.kind !== 'status') { pending.push(r); continue }
        // Records arrive in log order: everything logged before the status lands first.
        await send(pending)
        pending = []
        await client.post('runs/update', { run_id: ref.runId, status: r.status, end_time: r.timestamp }, ctx.signal)
      }
      await send(pending)
      const state: MlflowSinkState = { v: 1, target: target.describe, experimentId: ref.experimentId, runId: ref.runId }
      return { state }
    },
    async close () {
      if (ready === undefined) return
      const { client } = await ready
      await client.close()
    }
  }
}

function readState (raw: unknown, target: string): MlflowSinkState | null {
  if (raw === null || typeof raw !== 'object') return null
  const s = raw as Partial<MlflowSinkState>
  if (s.v !== 1 || typeof s.runId !== 'string' || typeof s.experimentId !== 'string') return null
  return s.target === target ? s as MlflowSinkState : null
}

/**
 * The MLflow SQL store dedupes an identical finite point on resend, but not NaN: a NaN point it
 * already holds makes the whole metrics part of the batch fail with 400 BAD_REQUEST
 * (IntegrityError, mlflow#26108). That is not the record's fault, so on that answer we read back
 * which NaN points are stored, drop them, and send the rest once more.
 */
async function sendBatch (client: MlflowClient, body: LogBatchBody, signal: AbortSignal): Promise<void> {
  try {
    await client.post('runs/log-batch', body, signal)
    return
  } catch (err) {
    if (!isNanDuplicate(err, body)) throw err
  }
  const nanKeys = new Set((body.metrics ?? []).filter(m => m.value === 'NaN').map(m => m.key))
  const stored = new Set<string>()
  for (const key of nanKeys) {
    let pageToken: string | undefined
    do {
      const page = await client.get<{ metrics?: Array<{ key: string, value: unknown, timestamp: number, step?: number }>, next_page_token?: string }>(
        'metrics/get-history', { run_id: body.run_id, metric_key: key, max_results: 25000, ...(pageToken !== undefined ? { page_token: pageToken } : {}) }, signal)
      for (const m of page.metrics ?? []) if (m.value === 'NaN') stored.add(`${key}\u0000${m.timestamp}\u0000${m.step ?? 0}`)
      pageToken = page.next_page_token !== undefined && page.next_page_token !== '' && (page.metrics ?? []).length > 0 ? page.next_page_token : undefined
    } while (pageToken !== undefined)
  }
  const metrics = (body.metrics ?? []).filter(m => m.value !== 'NaN' || !stored.has(`${m.key}\u0000${m.timestamp}\u0000${m.step}`))
  const retry: LogBatchBody = { ...body, metrics }
  if (metrics.length === 0) delete retry.metrics
  if ((retry.metrics?.length ?? 0) + (retry.params?.length ?? 0) + (retry.tags?.length ?? 0) === 0) return
  await client.post('runs/log-batch', retry, signal)
}

function isNanDuplicate (err: unknown, body: LogBatchBody): boolean {
  const api = mlflowErrorOf(err)
  return err instanceof SinkError && err.code === 'TG_SINK_REJECTED' && api?.errorCode === 'BAD_REQUEST' &&
    /unique|integrity|duplicate/i.test(api.message) && (body.metrics ?? []).some(m => m.value === 'NaN')
}
