import { spawn } from 'node:child_process'
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs'
import type { FastifyBaseLogger } from 'fastify'
import type { JobSpec } from '../job-spec.js'
import type { JobProblem } from '../sagemaker/validate-job.js'
import type { Job } from '../../store/job-store.js'
import type { JobService, LaunchContext, Launcher } from '../launcher.js'
import { contractEnvironment, defaultTrainer, gpuCount, jobLayout, localPath, trainerArgv, withTensorboardTail } from './environment.js'
import { WRAPPER, isSameProcess, logTail, processStart, readExitCode, signalGroup } from './process.js'

export interface LocalLauncherOptions {
  dataDir: string
  /** argv of the trainer; default: python3 containers/training/simulate.py */
  trainer?: string[] | undefined
  stopGraceMs: number
  service: JobService
  log: FastifyBaseLogger
  /** How often a re-attached (not our child) process is checked for life. */
  watchMs?: number
}

/** Set by the gateway for the trainer; but a job may say where its SummaryWriter writes, or turn tailing off. */
const RESERVED_ENV = /^(TRACKGATE_(?!TAIL_TENSORBOARD$|TENSORBOARD_DIR$)|SM_)/

/**
 * The embedded backend (issue 6): the trainer as a detached subprocess with SageMaker's
 * environment contract. Detached, so a gateway restart does not kill training; the wrapper shell
 * records the exit code, so the restarted gateway still learns how it ended.
 */
export class LocalLauncher implements Launcher {
  readonly backend = 'local' as const
  private readonly o: LocalLauncherOptions
  private readonly trainer: string[]
  private readonly gpus = gpuCount()
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly settled = new Set<string>()
  private closed = false

  constructor (o: LocalLauncherOptions) {
    this.o = o
    this.trainer = o.trainer ?? defaultTrainer()
  }

  validate (spec: JobSpec): JobProblem[] {
    const problems: JobProblem[] = []
    for (const [name, uri] of Object.entries(spec.data ?? {})) {
      if (localPath(uri) === undefined) problems.push({ field: `data.${name}`, message: `the local backend reads channels from this machine: give file:///path or /path, not ${uri}`, severity: 'error' })
    }
    for (const key of Object.keys(spec.environment ?? {})) {
      if (RESERVED_ENV.test(key)) problems.push({ field: `environment.${key}`, message: `environment variable ${key} is reserved: the gateway sets TRACKGATE_* and SM_* for the trainer`, severity: 'error' })
    }
    for (const key of Object.keys(spec.hyperparameters ?? {})) {
      if (key === 'model' || key === 'strategy') problems.push({ field: `hyperparameters.${key}`, message: `hyperparameter ${key} is reserved (set from the job's ${key})`, severity: 'error' })
    }
    return problems
  }

  externalName (): null { return null }

  async launch (ctx: LaunchContext): Promise<void> {
    const { job, spec } = ctx
    const layout = jobLayout(this.o.dataDir, job.id, spec)
    for (const d of [layout.modelDir, layout.outputDataDir, layout.checkpointDir, layout.spoolDir, ...Object.values(layout.channels)]) mkdirSync(d, { recursive: true })
    rmSync(layout.exitPath, { force: true })
    const env = contractEnvironment({ spec, layout, gatewayUrl: ctx.gatewayUrl, runId: job.runId, token: ctx.token, gpus: this.gpus })
    env['TRACKGATE_EXIT_FILE'] = layout.exitPath
    const argv = withTensorboardTail(trainerArgv(this.trainer, spec, this.gpus), spec)
    const fd = openSync(layout.logPath, 'a')
    let child
    try {
      child = spawn('/bin/sh', ['-c', WRAPPER, 'trackgate-job', ...argv], { cwd: layout.dir, env, detached: true, stdio: ['ignore', fd, fd] })
    } finally {
      closeSync(fd)
    }
    const pid = child.pid
    if (pid === undefined) throw new Error('could not start /bin/sh for the trainer')
    child.unref()
    child.once('exit', (code, signal) => { this.exited(job.id, code, signal).catch(err => this.o.log.error({ err, jobId: job.id }, 'recording the trainer exit failed')) })
    const started = Date.now()
    await this.o.service.apply(job.id, {
      status: 'RUNNING', pid, pidStart: processStart(pid), logPath: layout.logPath, startedAt: started, source: 'launch', message: `started ${argv.join(' ')}`
    })
    this.o.log.info({ jobId: job.id, runId: job.runId, pid }, 'local trainer started')
  }

  async stop (job: Job): Promise<void> {
    if (job.pid === null) {
      await this.o.service.apply(job.id, { status: 'STOPPED', endedAt: Date.now(), source: 'api', message: 'stopped before the trainer started' })
      return
    }
    await this.o.service.apply(job.id, { status: 'STOPPING', source: 'api', message: 'SIGTERM sent' })
    signalGroup(job.pid, 'SIGTERM')
    const pid = job.pid
    const start = job.pidStart
    // SageMaker's contract too: SIGTERM, a grace to flush and checkpoint, then SIGKILL.
    const t = setTimeout(() => {
      this.timers.delete(t)
      if (isSameProcess(pid, start)) signalGroup(pid, 'SIGKILL')
    }, this.o.stopGraceMs)
    this.timers.add(t)
  }

  async resume (jobs: Job[]): Promise<void> {
    for (const job of jobs) {
      const layout = jobLayout(this.o.dataDir, job.id, job.spec as JobSpec)
      // A replica sharing the store with others resumes only the trainers it started: their
      // logs are under its data dir (another machine's pid means nothing here).
      if (job.logPath !== null && job.logPath !== layout.logPath) continue
      if (job.pid === null) {
        await this.o.service.apply(job.id, { status: 'FAILED', endedAt: Date.now(), source: 'recovery', failureReason: 'the gateway stopped before the trainer started; launch the job again' })
      } else if (isSameProcess(job.pid, job.pidStart)) {
        this.o.log.info({ jobId: job.id, pid: job.pid }, 're-attached to a running local trainer')
        this.watch(job.id, job.pid, job.pidStart)
      } else {
        await this.exited(job.id, readExitCode(layout.exitPath), null, true)
      }
    }
  }

  /** A process we did not start cannot be waited on: poll it until it is gone, then read its exit file. */
  private watch (jobId: string, pid: number, start: string | null): void {
    const t = setInterval(() => {
      if (isSameProcess(pid, start)) return
      clearInterval(t)
      this.timers.delete(t)
      this.exited(jobId, null, null).catch(err => this.o.log.error({ err, jobId }, 'recording the trainer exit failed'))
    }, this.o.watchMs ?? 500)
    this.timers.add(t)
  }

  private async exited (jobId: string, code: number | null, signal: NodeJS.Signals | null, afterRestart = false): Promise<void> {
    // After close the store is gone; the next gateway learns the ending from the exit file.
    if (this.closed || this.settled.has(jobId)) return
    this.settled.add(jobId)
    const job = await this.o.service.get(jobId)
    const logPath = job.logPath ?? jobLayout(this.o.dataDir, jobId, job.spec as JobSpec).logPath
    if (code === null) code = readExitCode(jobLayout(this.o.dataDir, jobId, job.spec as JobSpec).exitPath)
    const how = code !== null ? `exit code ${code}` : signal !== null ? `signal ${signal}` : 'no exit code'
    const base = { exitCode: code, endedAt: Date.now(), source: 'process', message: `trainer ended (${how})` }
    if (job.stopRequested) {
      await this.o.service.apply(jobId, { ...base, status: 'STOPPED' })
    } else if (code === 0) {
      await this.o.service.apply(jobId, { ...base, status: 'COMPLETED' })
    } else {
      const why = code === null && signal === null
        ? `trainer process ${job.pid ?? '?'} is gone and left no exit code${afterRestart ? ' (it ended while the gateway was down)' : ''}`
        : `trainer failed with ${how}`
      const tail = logTail(logPath)
      await this.o.service.apply(jobId, { ...base, status: 'FAILED', failureReason: tail === '' ? why : `${why}; log tail:\n${tail}` })
    }
  }

  async close (): Promise<void> {
    this.closed = true
    for (const t of this.timers) { clearTimeout(t); clearInterval(t) }
    this.timers.clear()
  }
}
