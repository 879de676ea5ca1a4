import { formatMetricLine } from '../../../src/launch/metric-lines.js'
import type { EmulatedJob } from './jobs.js'
import type { ContainerPost, EmulatorOptions } from './types.js'

/**
 * A stand-in for the trainer: prints metric lines in the documented format (so the job's
 * MetricDefinitions are exercised for FinalMetricDataList) and POSTs the same points to the
 * gateway with the run's callback token, as containers/training's client does.
 */
export function runContainer (job: EmulatedJob, cfg: NonNullable<EmulatorOptions['container']>, posts: ContainerPost[], closed: () => boolean): void {
  const env = (job.request['Environment'] ?? {}) as Record<string, string>
  const hp = (job.request['HyperParameters'] ?? {}) as Record<string, string>
  const epochs = cfg.epochs ?? decodeInt(hp['epochs']) ?? 2
  const stepsPerEpoch = cfg.stepsPerEpoch ?? 10
  // A spot restart logs again with the same batch ids: the gateway must store them once.
  const batches: Array<ContainerPost['body']> = []
  for (let epoch = 0; epoch < epochs; epoch++) {
    const step = (epoch + 1) * stepsPerEpoch
    const train = { train_loss: round(1 / (epoch + 2)), lr: 0.0003 }
    const val = { val_loss: round(1.1 / (epoch + 2)), val_dice: round(0.5 + 0.4 * (epoch + 1) / epochs) }
    job.logLines.push(formatMetricLine({ epoch, step, values: train }), formatMetricLine({ epoch, step, values: val }))
    batches.push({
      batchId: `${job.name}-e${epoch}`,
      metrics: Object.entries({ ...train, ...val }).map(([key, value]) => ({ key, value, step }))
    })
  }
  const base = env['TRACKGATE_URL']
  const runId = env['TRACKGATE_RUN_ID']
  const token = env['TRACKGATE_TOKEN']
  if (base === undefined || runId === undefined || token === undefined) return
  const url = `${base.replace(/\/+$/, '')}/v1/runs/${encodeURIComponent(runId)}/log`
  const send = async (): Promise<void> => {
    for (const body of batches) {
      if (closed()) return
      const record: ContainerPost = { url, body, status: 'error' }
      posts.push(record)
      try {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) })
        record.status = res.status
        await res.arrayBuffer()
      } catch { /* recorded as 'error'; the real client would spool and retry */ }
    }
  }
  send().catch(() => {})
}

function decodeInt (v: string | undefined): number | undefined {
  if (v === undefined) return undefined
  const n = Number(JSON.parse(v))
  return Number.isInteger(n) && n > 0 ? n : undefined
}

const round = (n: number): number => Math.round(n * 10000) / 10000
