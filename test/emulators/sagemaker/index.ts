import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { formatValidationMessage, validateShape } from '../../../src/launch/sagemaker/api-model/index.js'
import { runContainer } from './container.js'
import { ApiFault } from './fault.js'
import { describeJob, isTerminal, phasesFor, stateChangeEvent, summarize, type EmulatedJob } from './jobs.js'
import { loadApiModel } from './model.js'
import { createTrainingJobRuleViolation } from './service-rules.js'
import { tuningRunner } from './tuning-runner.js'
import type { TuningJob } from './tuning.js'
import type { ContainerClaim, ContainerPost, EmulatorOptions, Outcome, RecordedRequest, SentEvent, Timings } from './types.js'

export type * from './types.js'
export { ApiFault } from './fault.js'
export type { TuningJob } from './tuning.js'

const MODELED = new Set(['ResourceInUse', 'ResourceLimitExceeded', 'ResourceNotFound'])
const OPERATIONS = ['CreateTrainingJob', 'DescribeTrainingJob', 'StopTrainingJob', 'ListTrainingJobs', 'CreateHyperParameterTuningJob',
  'DescribeHyperParameterTuningJob', 'ListTrainingJobsForHyperParameterTuningJob', 'StopHyperParameterTuningJob']
const TUNING_TERMINAL = new Set(['Completed', 'Failed', 'Stopped'])

export interface SageMakerEmulator {
  /** http://127.0.0.1:<port> — give it to the client as `endpoint`. */
  url: string
  requests: RecordedRequest[]
  events: SentEvent[]
  containerPosts: ContainerPost[]
  /** Tuning trials' claims of their run (POST /v1/tuning-jobs/:id/claim), in order. */
  claims: ContainerClaim[]
  jobs: Map<string, EmulatedJob>
  /** Tuning jobs by name; `children` holds their trials' names in launch order (the jobs are in `jobs`). */
  tuningJobs: Map<string, TuningJob>
  /** Outcomes for the next jobs created, in order. */
  queueOutcomes: (...outcomes: Outcome[]) => void
  /** The next `count` requests (to `operations`, or any) fail with ThrottlingException "Rate exceeded". */
  throttle: (count: number, operations?: string[]) => void
  /** Resolves when the job reaches a terminal status (or `status`). */
  waitFor: (jobName: string, status?: string, timeoutMs?: number) => Promise<EmulatedJob>
  /** Resolves when the tuning job reaches Completed, Failed or Stopped (or `status`). */
  waitForTuning: (name: string, status?: string, timeoutMs?: number) => Promise<TuningJob>
  /** Calls `listener` after every status change of a job or tuning job; returns the unsubscribe. */
  onChange: (listener: () => void) => () => void
  close: () => Promise<void>
}

export async function startSageMakerEmulator (opts: EmulatorOptions = {}): Promise<SageMakerEmulator> {
  // Without ../shared only the trimmed request model is there: the create operations are validated.
  const { model } = loadApiModel(opts.modelPath)
  const timings: Timings = { startingMs: 10, downloadingMs: 10, trainingMs: 10, uploadingMs: 10, stoppingMs: 10, interruptedMs: 10, launchMs: 10, ...opts.timings }
  const scale = opts.timeScale ?? 1000
  const account = opts.account ?? '123456789012'
  const region = opts.region ?? 'us-east-1'
  const spotSavings = opts.spotSavings ?? 0.7
  const t0 = Date.now()
  const clock = (): number => t0 + (Date.now() - t0) * scale
  const jobs = new Map<string, EmulatedJob>()
  const tuningJobs = new Map<string, TuningJob>()
  const requests: RecordedRequest[] = []
  const events: SentEvent[] = []
  const containerPosts: ContainerPost[] = []
  const claims: ContainerClaim[] = []
  const queued: Outcome[] = []
  const throttles: Array<{ remaining: number, operations: string[] | undefined }> = []
  const windows = new Map<string, { start: number, count: number }>()
  const waiters = new Set<() => void>()
  const sleepers = new Set<{ timer: NodeJS.Timeout, resolve: () => void }>()
  let closed = false

  const notify = (): void => { for (const w of [...waiters]) w() }
  const sleep = async (ms: number): Promise<void> => await new Promise(resolve => {
    const s = { resolve, timer: setTimeout(() => { sleepers.delete(s); resolve() }, ms) }
    sleepers.add(s)
  })

  const changed = (job: EmulatedJob): void => {
    // The tuning job settles first, so a waiter sees its status and counters after the trial's change.
    if (job.tuning !== undefined) tuning.childChanged(job)
    notify()
    const bus = opts.eventBridge
    if (bus === undefined) return
    const event = stateChangeEvent(job, account, region, spotSavings, randomUUID())
    const record: SentEvent = { event, status: 'error' }
    events.push(record)
    fetch(bus.url, { method: 'POST', headers: { 'content-type': 'application/json', [bus.header ?? 'x-trackgate-eventbridge-secret']: bus.secret }, body: JSON.stringify(event) })
      .then(async res => { record.status = res.status; await res.arrayBuffer() }, () => {})
  }

  const enter = (job: EmulatedJob, index: number): void => {
    if (closed) return
    const phase = job.phases[index]
    if (phase === undefined) return
    const now = clock()
    const prev = job.transitions.at(-1)
    if (prev !== undefined) prev.EndTime = now
    if (prev?.Status === 'Training') job.trainedSeconds += (now - prev.StartTime) / 1000
    job.index = index
    job.primary = phase.primary
    job.secondary = phase.secondary
    if (phase.failureReason !== undefined) job.failureReason = phase.failureReason
    if (phase.secondary !== 'Starting' && job.trainingStartTime === undefined && phase.primary === 'InProgress') job.trainingStartTime = now
    job.transitions.push({ Status: phase.secondary, StartTime: now, StatusMessage: phase.message, ...(isTerminal(phase.primary) && { EndTime: now }) })
    job.lastModifiedTime = now
    if (isTerminal(phase.primary) && job.trainingStartTime !== undefined) job.trainingEndTime = now
    if (phase.secondary === 'Training' && opts.container !== undefined) {
      runContainer(job, opts.container, { posts: containerPosts, claims, closed: () => closed, sleep })
    }
    changed(job)
    if (!isTerminal(phase.primary) && Number.isFinite(phase.ms)) job.timer = setTimeout(() => enter(job, index + 1), phase.ms)
  }

  /** CreateTrainingJob, and a tuning job's trials (`link` set): service rules, name, quota, outcome, first phase. */
  const createTrainingJob = (body: Record<string, any>, link?: EmulatedJob['tuning']): unknown => {
    const rule = createTrainingJobRuleViolation(body)
    if (rule !== undefined) throw new ApiFault('ValidationException', rule)
    const name = String(body['TrainingJobName'])
    const arn = `arn:aws:sagemaker:${region}:${account}:training-job/${name.toLowerCase()}`
    if (jobs.has(name)) {
      throw new ApiFault('ResourceInUse', `Training job names must be unique within an AWS account and region, and a training job with this name already exists (${arn})`)
    }
    const type = String(body['ResourceConfig']?.InstanceType)
    const limit = opts.instanceLimits?.[type]
    if (limit !== undefined) {
      const used = [...jobs.values()].filter(j => !isTerminal(j.primary) && (j.request['ResourceConfig'] as { InstanceType?: string }).InstanceType === type)
        .reduce((n, j) => n + Number((j.request['ResourceConfig'] as { InstanceCount?: number }).InstanceCount ?? 0), 0)
      const delta = Number(body['ResourceConfig']?.InstanceCount ?? 0)
      if (used + delta > limit) {
        throw new ApiFault('ResourceLimitExceeded', `The account-level service limit '${type} for training job usage' is ${limit} Instances, with current utilization of ${used} Instances and a request delta of ${delta} Instances. Please contact AWS support to request an increase for this limit.`)
      }
    }
    const outcome = queued.shift() ?? opts.outcome?.(body) ?? { kind: 'complete' }
    const now = clock()
    const job: EmulatedJob = {
      name,
      arn,
      request: body,
      phases: phasesFor(outcome, timings),
      index: 0,
      primary: 'InProgress',
      secondary: 'Starting',
      transitions: [],
      creationTime: now,
      lastModifiedTime: now,
      trainedSeconds: 0,
      logLines: [],
      ...(link !== undefined && { tuning: link })
    }
    jobs.set(name, job)
    enter(job, 0)
    return { TrainingJobArn: arn }
  }

  const getJob = (body: Record<string, unknown>): EmulatedJob => {
    const job = jobs.get(String(body['TrainingJobName']))
    // The live service answers a missing job with ValidationException, not the modeled ResourceNotFound.
    if (job === undefined) throw new ApiFault('ValidationException', 'Requested resource not found.')
    return job
  }

  const stopJob = (job: EmulatedJob): void => {
    clearTimeout(job.timer)
    job.phases = [...job.phases.slice(0, job.index + 1), { primary: 'Stopping', secondary: 'Stopping', message: 'Stopping the training job', ms: timings.stoppingMs }, { primary: 'Stopped', secondary: 'Stopped', message: 'Training job stopped', ms: 0 }]
    enter(job, job.index + 1)
  }

  const stopTrainingJob = (body: Record<string, unknown>): unknown => {
    const job = getJob(body)
    if (job.primary !== 'InProgress') throw new ApiFault('ValidationException', `The request was rejected because the training job is in status ${job.primary}.`)
    stopJob(job)
    return {}
  }

  const trainingInput = model.operations['CreateTrainingJob']?.input?.shape
  const tuning = tuningRunner({
    jobs,
    tuningJobs,
    region,
    account,
    clock,
    timings,
    launch: (request, link) => {
      // A trial must be a request CreateTrainingJob itself would take.
      const issues = trainingInput === undefined ? [] : validateShape(model, trainingInput, request, { rejectUnknownMembers: true })
      if (issues.length > 0) throw new ApiFault('ValidationException', formatValidationMessage(issues))
      createTrainingJob(request, link)
    },
    stopJob,
    notify,
    closed: () => closed
  })

  const listTrainingJobs = (body: Record<string, any>): unknown => {
    const sortBy = body['SortBy'] ?? 'CreationTime'
    const dir = body['SortOrder'] === 'Descending' ? -1 : 1
    const key = (j: EmulatedJob): string | number => sortBy === 'Name' ? j.name : sortBy === 'Status' ? j.primary : j.creationTime
    let all = [...jobs.values()].filter(j =>
      (body['NameContains'] === undefined || j.name.toLowerCase().includes(String(body['NameContains']).toLowerCase())) &&
      (body['CreationTimeAfter'] === undefined || j.creationTime / 1000 > body['CreationTimeAfter']) &&
      (body['CreationTimeBefore'] === undefined || j.creationTime / 1000 < body['CreationTimeBefore']))
    all = all.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) * dir)
    const start = body['NextToken'] === undefined ? 0 : Number(Buffer.from(String(body['NextToken']), 'base64url').toString())
    const max = body['MaxResults'] ?? 10
    // Documented quirk: a page is cut first, then filtered by StatusEquals, so it may be short or empty.
    const page = all.slice(start, start + max).filter(j => body['StatusEquals'] === undefined || j.primary === body['StatusEquals'])
    const next = start + max < all.length ? Buffer.from(String(start + max)).toString('base64url') : undefined
    return { TrainingJobSummaries: page.map(summarize), ...(next !== undefined && { NextToken: next }) }
  }

  const handlers: Record<string, (body: Record<string, any>) => unknown> = {
    CreateTrainingJob: body => createTrainingJob(body),
    DescribeTrainingJob: body => describeJob(getJob(body), spotSavings),
    StopTrainingJob: stopTrainingJob,
    ListTrainingJobs: listTrainingJobs,
    ...tuning.handlers
  }

  const checkThrottle = (op: string): void => {
    const t = throttles.find(x => x.remaining > 0 && (x.operations === undefined || x.operations.includes(op)))
    if (t !== undefined) { t.remaining--; throw new ApiFault('ThrottlingException', 'Rate exceeded') }
    const rps = opts.rateLimits?.[op]
    if (rps === undefined) return
    const now = Date.now()
    const w = windows.get(op)
    if (w === undefined || now - w.start >= 1000) { windows.set(op, { start: now, count: 1 }); return }
    if (++w.count > rps) throw new ApiFault('ThrottlingException', 'Rate exceeded')
  }

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const target = String(req.headers['x-amz-target'] ?? '')
    const op = target.startsWith('SageMaker.') ? target.slice('SageMaker.'.length) : ''
    const record: RecordedRequest = { operation: op || target, headers: req.headers, body: undefined, status: 200 }
    requests.push(record)
    let status = 200
    let payload: unknown
    try {
      if (req.method !== 'POST' || (req.url ?? '/') !== '/') throw new ApiFault('UnknownOperationException', 'Only POST / is served', 404)
      const auth = String(req.headers.authorization ?? '')
      if ((opts.requireSigV4 ?? true) && !/^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/sagemaker\/aws4_request/.test(auth)) {
        throw new ApiFault('MissingAuthenticationTokenException', 'Missing Authentication Token')
      }
      if (!String(req.headers['content-type'] ?? '').startsWith('application/x-amz-json-1.1')) throw new ApiFault('SerializationException', 'Content-Type must be application/x-amz-json-1.1')
      if (!OPERATIONS.includes(op)) throw new ApiFault('UnknownOperationException', `Unknown operation ${target}`)
      let body: unknown
      try { body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') } catch { throw new ApiFault('SerializationException', 'Request body is not valid JSON') }
      record.body = body
      checkThrottle(op)
      const input = model.operations[op]?.input?.shape
      if (input !== undefined) {
        const issues = validateShape(model, input, body, { rejectUnknownMembers: opts.rejectUnknownMembers ?? true })
        if (issues.length > 0) throw new ApiFault('ValidationException', formatValidationMessage(issues))
      }
      payload = (handlers[op] as (b: unknown) => unknown)(body)
    } catch (err) {
      if (!(err instanceof ApiFault)) throw err
      status = err.status
      record.errorType = err.type
      record.errorMessage = err.message
      payload = { __type: err.type, [MODELED.has(err.type) ? 'Message' : 'message']: err.message }
    }
    record.status = status
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': randomUUID() })
    res.end(JSON.stringify(payload))
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(err => { res.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' }); res.end(JSON.stringify({ __type: 'InternalFailure', message: String(err) })) })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  /** Resolves with `get()` once it is defined, checked now and after every status change. */
  const waitUntil = async <T>(get: () => T | undefined, label: string, timeoutMs: number): Promise<T> => await new Promise((resolve, reject) => {
    const check = (): void => {
      const value = get()
      if (value !== undefined) { waiters.delete(check); clearTimeout(timer); resolve(value) }
    }
    const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`${label} in ${timeoutMs} ms`)) }, timeoutMs)
    waiters.add(check)
    check()
  })

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    events,
    containerPosts,
    claims,
    jobs,
    tuningJobs,
    queueOutcomes: (...o) => { queued.push(...o) },
    throttle: (count, operations) => { throttles.push({ remaining: count, operations }) },
    waitFor: async (jobName, status, timeoutMs = 5000) => await waitUntil(() => {
      const job = jobs.get(jobName)
      return job !== undefined && (status === undefined ? isTerminal(job.primary) : job.primary === status || job.secondary === status) ? job : undefined
    }, `${jobName} did not reach ${status ?? 'a terminal status'}`, timeoutMs),
    waitForTuning: async (name, status, timeoutMs = 5000) => await waitUntil(() => {
      const t = tuningJobs.get(name)
      return t !== undefined && (status === undefined ? TUNING_TERMINAL.has(t.status) : t.status === status) ? t : undefined
    }, `tuning job ${name} did not reach ${status ?? 'a terminal status'}`, timeoutMs),
    onChange: listener => { waiters.add(listener); return () => { waiters.delete(listener) } },
    close: async () => {
      closed = true
      for (const job of jobs.values()) clearTimeout(job.timer)
      tuning.close()
      for (const s of sleepers) { clearTimeout(s.timer); s.resolve() }
      sleepers.clear()
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}
