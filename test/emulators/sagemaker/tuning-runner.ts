import { randomBytes, randomInt } from 'node:crypto'
import { ApiFault } from './fault.js'
import { isTerminal, type EmulatedJob } from './jobs.js'
import { createTuningJobRuleViolation } from './tuning-rules.js'
import { gridPoint, gridSize, samplePoint, seededRandom } from './tuning-sampling.js'
import {
  describeTuningJob, listTrials, notFound, trialName, trialRequest, tuningObjective, tuningRanges,
  type TuningJob, type TuningStatus
} from './tuning.js'
import type { Timings } from './types.js'

type Req = Record<string, any>

export interface TuningDeps {
  jobs: Map<string, EmulatedJob>
  tuningJobs: Map<string, TuningJob>
  region: string
  account: string
  clock: () => number
  timings: Timings
  /** CreateTrainingJob's own path, for a trial; throws the ApiFault CreateTrainingJob would answer. */
  launch: (request: Req, tuning: NonNullable<EmulatedJob['tuning']>) => void
  /** StopTrainingJob's own path. */
  stopJob: (job: EmulatedJob) => void
  /** Wakes the waiters after a tuning job's status changed. */
  notify: () => void
  closed: () => boolean
}

/**
 * Runs tuning jobs: keeps up to MaxParallelTrainingJobs trials in progress (a new one starts as
 * a slot frees, so equal-length trials go in waves) until MaxNumberOfTrainingJobs were launched,
 * then ends Completed (Failed if every trial failed or a trial could not be launched).
 */
export function tuningRunner (d: TuningDeps): {
  handlers: Record<string, (body: Req) => unknown>
  childChanged: (job: EmulatedJob) => void
  close: () => void
} {
  const trials = (t: TuningJob): EmulatedJob[] => t.children.flatMap(n => d.jobs.get(n) ?? [])
  const running = (t: TuningJob): number => trials(t).filter(j => !isTerminal(j.primary)).length

  const get = (body: Req): TuningJob => {
    const t = d.tuningJobs.get(String(body['HyperParameterTuningJobName']))
    if (t === undefined) throw notFound(String(body['HyperParameterTuningJobName']))
    return t
  }

  const setStatus = (t: TuningJob, status: TuningStatus): void => {
    t.status = status
    t.lastModifiedTime = d.clock()
    if (isTerminal(status)) t.endTime = t.lastModifiedTime
    d.notify()
  }

  const launchSome = (t: TuningJob): void => {
    // t.timer stays set while launching, so the trials' own status changes do not reschedule.
    if (!d.closed() && t.status === 'InProgress') {
      const slots = Math.min(t.maxParallel - running(t), t.total - t.children.length)
      for (let i = 0; i < slots; i++) {
        const index = t.children.length
        const tuned = t.strategy === 'Grid' ? gridPoint(t.ranges, index) : samplePoint(t.ranges, t.random)
        const name = trialName(t.name, index, randomBytes(4).toString('hex'))
        t.children.push(name)
        try {
          d.launch(trialRequest(t, name, tuned), { name: t.name, arn: t.arn, tuned })
        } catch (err) {
          t.children.pop()
          if (!(err instanceof ApiFault)) throw err
          t.failureReason = `${err.type}: ${err.message}`
          break
        }
      }
      t.lastModifiedTime = d.clock()
    }
    t.timer = undefined
    settle(t)
  }

  const settle = (t: TuningJob): void => {
    if (t.timer !== undefined || d.closed()) return
    const busy = running(t)
    if (t.status === 'Stopping') {
      if (busy === 0) setStatus(t, 'Stopped')
      return
    }
    if (t.status !== 'InProgress') return
    if (t.failureReason === undefined && t.children.length < t.total) {
      if (busy < t.maxParallel) t.timer = setTimeout(() => launchSome(t), d.timings.launchMs)
      return
    }
    if (busy > 0) return
    const all = trials(t)
    if (t.failureReason === undefined && all.length > 0 && all.every(j => j.primary === 'Failed')) {
      t.failureReason = 'All training jobs launched by the tuning job failed. See the FailureReason of each training job.'
    }
    setStatus(t, t.failureReason === undefined ? 'Completed' : 'Failed')
  }

  const create = (body: Req): unknown => {
    const rule = createTuningJobRuleViolation(body)
    if (rule !== undefined) throw new ApiFault('ValidationException', rule)
    const name = String(body['HyperParameterTuningJobName'])
    if (d.tuningJobs.has(name)) throw new ApiFault('ResourceInUse', `A hyperparameter tuning job with the name, ${name}, already exists. Choose a different name.`)
    const config = body['HyperParameterTuningJobConfig']
    const ranges = tuningRanges(body)
    const limits = config.ResourceLimits
    const max = Number(limits.MaxNumberOfTrainingJobs ?? Number.POSITIVE_INFINITY)
    const now = d.clock()
    const objective = tuningObjective(body)
    const t: TuningJob = {
      name,
      arn: `arn:aws:sagemaker:${d.region}:${d.account}:hyper-parameter-tuning-job/${name.toLowerCase()}`,
      request: body,
      status: 'InProgress',
      creationTime: now,
      lastModifiedTime: now,
      children: [],
      total: config.Strategy === 'Grid' ? Math.min(gridSize(ranges), max) : max,
      maxParallel: Number(limits.MaxParallelTrainingJobs),
      strategy: String(config.Strategy),
      ranges,
      ...(objective !== undefined && { objective }),
      random: seededRandom(config.RandomSeed ?? randomInt(2 ** 31))
    }
    d.tuningJobs.set(name, t)
    settle(t)
    d.notify()
    return { HyperParameterTuningJobArn: t.arn }
  }

  const stop = (body: Req): unknown => {
    const t = get(body)
    if (t.status !== 'InProgress') throw new ApiFault('ValidationException', `The request was rejected because the hyperparameter tuning job is in status ${t.status}.`)
    clearTimeout(t.timer)
    t.timer = undefined
    setStatus(t, 'Stopping')
    for (const job of trials(t)) if (job.primary === 'InProgress') d.stopJob(job)
    // Nothing to wait for: still show Stopping for a moment, as the service does.
    if (running(t) === 0) t.timer = setTimeout(() => { t.timer = undefined; settle(t) }, d.timings.stoppingMs)
    return {}
  }

  return {
    handlers: {
      CreateHyperParameterTuningJob: create,
      DescribeHyperParameterTuningJob: body => { const t = get(body); return describeTuningJob(t, trials(t)) },
      ListTrainingJobsForHyperParameterTuningJob: body => { const t = get(body); return listTrials(t, trials(t), body) },
      StopHyperParameterTuningJob: stop
    },
    childChanged: job => {
      const t = job.tuning === undefined ? undefined : d.tuningJobs.get(job.tuning.name)
      if (t !== undefined) settle(t)
    },
    close: () => { for (const t of d.tuningJobs.values()) clearTimeout(t.timer) }
  }
}
