import { formatMetricLine } from '../../../src/launch/metric-lines.js'
import { claimRun, type ClaimIo } from './container-claim.js'
import type { EmulatedJob } from './jobs.js'
import type { ContainerPost, EmulatorOptions } from './types.js'

export interface ContainerIo extends ClaimIo {
  posts: ContainerPost[]
}

/**
 * A stand-in for the trainer: prints metric lines in the documented format (so the job's
 * MetricDefinitions are exercised for FinalMetricDataList) and POSTs the same points to the
 * gateway with the run's callback token, as containers/training's client does. A tuning trial
 * has no run of its own in its Environment (all trials share one definition): it claims one
 * first with the tuning job's token and its TRAINING_JOB_NAME.
 */
export function runContainer (job: EmulatedJob, cfg: NonNullable<EmulatorOptions['container']>, io: ContainerIo): void {
  const env = (job.request['Environment'] ?? {}) as Record<string, string>
  const hp = (job.request['HyperParameters'] ?? {}) as Record<string, string>
  const epochs = cfg.epochs ?? decodeInt(hp['epochs']) ?? 2
  const stepsPerEpoch = cfg.stepsPerEpoch ?? 10
  // A spot restart logs again with the same batch ids: the gateway must store them once.
  const batches: Array<ContainerPost['body']> = []
  for (let epoch = 0; epoch < epochs; epoch++) {
    const step = (epoch + 1) * stepsPerEpoch
    const { train, val } = job.tuning === undefined ? fixedMetrics(epoch, epochs) : tunedMetrics(hp, epoch, epochs)
    job.logLines.push(formatMetricLine({ epoch, step, values: train }), formatMetricLine({ epoch, step, values: val }))
    batches.push({
      batchId: `${job.name}-e${epoch}`,
      metrics: Object.entries({ ...train, ...val }).map(([key, value]) => ({ key, value, step }))
    })
  }
  const base = env['TRACKGATE_URL']?.replace(/\/+$/, '')
  if (base === undefined) return
  const send = async (runId: string, token: string): Promise<void> => {
    const url = `${base}/v1/runs/${encodeURIComponent(runId)}/log`
    for (const body of batches) {
      if (io.closed()) return
      const record: ContainerPost = { url, body, status: 'error' }
      io.posts.push(record)
      try {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) })
        record.status = res.status
        await res.arrayBuffer()
      } catch { /* recorded as 'error'; the real client would spool and retry */ }
    }
  }
  const runId = env['TRACKGATE_RUN_ID']
  const token = env['TRACKGATE_TOKEN']
  if (runId !== undefined && token !== undefined) {
    send(runId, token).catch(() => {})
    return
  }
  const tuningJobId = env['TRACKGATE_TUNING_JOB_ID']
  const tuningToken = env['TRACKGATE_TUNING_TOKEN']
  if (tuningJobId === undefined || tuningToken === undefined) return
  // SageMaker sets TRAINING_JOB_NAME in every container; here that is the trial's name.
  claimRun({ base, tuningJobId, token: tuningToken, trainingJobName: job.name }, io)
    .then(async run => { if (run !== undefined) await send(run.runId, run.token) })
    .catch(() => {})
}

type Values = Record<string, number>

function fixedMetrics (epoch: number, epochs: number): { train: Values, val: Values } {
  return {
    train: { train_loss: round(1 / (epoch + 2)), lr: 0.0003 },
    val: { val_loss: round(1.1 / (epoch + 2)), val_dice: round(0.5 + 0.4 * (epoch + 1) / epochs) }
  }
}

/**
 * A trial's curve depends on what was tuned, so search is visible: quality peaks at lr = 1e-3
 * (Gaussian in log10 distance, 1 decade → 0.61) and SegResNet gets a small bonus. The final
 * val_dice is 0.3 + 0.55·quality (+0.05), at most 0.9.
 */
export function tunedMetrics (hp: Record<string, string>, epoch: number, epochs: number): { train: Values, val: Values } {
  const lr = decodeNumber(hp['lr'])
  const quality = lr !== undefined && lr > 0 ? Math.exp(-((Math.log10(lr) + 3) ** 2) / 2) : 0.5
  const bonus = decodeString(hp['model']) === 'SegResNet' ? 0.05 : 0
  const progress = (epoch + 1) / epochs
  return {
    train: { train_loss: round((1 - 0.5 * quality) / (epoch + 2)), lr: lr ?? 0.0003 },
    val: { val_loss: round((1.1 - 0.6 * quality) / (epoch + 2)), val_dice: round(0.3 + (0.55 * quality + bonus) * progress) }
  }
}

/** Hyperparameters arrive as JSON text (`"4"`, `"0.001"`, `"\"UNet\""`); a bare string is taken as is. */
function decode (v: string | undefined): unknown {
  if (v === undefined) return undefined
  try { return JSON.parse(v) } catch { return v }
}

function decodeNumber (v: string | undefined): number | undefined {
  const n = decode(v)
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined
}

const decodeString = (v: string | undefined): string | undefined => { const s = decode(v); return typeof s === 'string' ? s : undefined }

function decodeInt (v: string | undefined): number | undefined {
  const n = v === undefined ? NaN : Number(decode(v))
  return Number.isInteger(n) && n > 0 ? n : undefined
}

const round = (n: number): number => Math.round(n * 10000) / 10000
