import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { createHash } from 'node:crypto'
import { createReadStream, existsSync, openSync, readSync, closeSync, statSync } from 'node:fs'
import { errors, IdParams, Page } from './schemas/common.js'
import { CreateJobHeaders, JobEventSchema, JobEventsQuery, JobLogsQuery, JobSchema, JobSpecBody, ListJobsQuery } from './schemas/jobs.js'
import { BadRequest, Conflict, NotFound, UnknownSink } from '../errors.js'
import { afterCursor, newestFirstPage } from './newest-first.js'
import { longAnswer, type LongAnswer } from './long-answer.js'
import { canonicalJson, type ParamValue } from '../domain/param-value.js'
import { expandEntry } from '../domain/log-entry.js'
import { toWireValue } from '../domain/limits.js'
import { isTerminalJob, type Job, type JobEvent } from '../store/job-store.js'
import type { JobSpec } from '../launch/job-spec.js'

const iso = (ms: number | null): string | null => ms === null ? null : new Date(ms).toISOString()

/** A job as the API shows it: never the run's token (the job never holds it) nor environment values. */
export const jobDto = (j: Job) => ({
  id: j.id,
  name: j.name,
  backend: j.backend,
  status: j.status,
  secondaryStatus: j.secondaryStatus,
  failureReason: j.failureReason,
  runId: j.runId,
  sagemaker: j.sagemakerJobName === null ? null : { trainingJobName: j.sagemakerJobName, trainingJobArn: j.sagemakerJobArn, region: j.region },
  local: j.backend === 'local' ? { pid: j.pid, exitCode: j.exitCode, logs: `/v1/jobs/${j.id}/logs` } : null,
  billableSeconds: j.billableSeconds,
  trainingSeconds: j.trainingSeconds,
  cost: j.cost,
  finalMetrics: j.finalMetrics,
  stopRequested: j.stopRequested,
  spec: j.spec,
  createdAt: new Date(j.createdAt).toISOString(),
  updatedAt: new Date(j.updatedAt).toISOString(),
  startedAt: iso(j.startedAt),
  endedAt: iso(j.endedAt)
})

const eventDto = (e: JobEvent) => ({ id: e.id, at: new Date(e.at).toISOString(), status: e.status, secondaryStatus: e.secondaryStatus, message: e.message, source: e.source })

/** Key-order independent, so a retried body hashes the same whatever its serializer did. */
export const requestHashOf = (body: unknown): string => createHash('sha256').update(canonicalJson(body as ParamValue)).digest('hex')

const TOKEN = /tgr_[A-Za-z0-9_-]{20,}/g

const jobRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // The body schema stays inline: the gateway's own validator (no coercion, no stripping) does not
  // resolve $refs to shared schemas, so a Ref here would fall back to Fastify's default Ajv.
  app.addSchema(JobSchema)
  const service = app.jobService

  async function visibleJob (request: FastifyRequest, id: string): Promise<Job> {
    const job = await app.jobStore.get(id)
    if (job === undefined || job.projectId !== app.projectOf(request)) throw new NotFound(`job ${id}`)
    return job
  }

  const stream = (reply: FastifyReply, contentType: string, onEnd: () => void): LongAnswer => longAnswer(reply, contentType, service, onEnd)

  app.post('/v1/jobs', {
    config: { auth: 'write' },
    schema: {
      tags: ['jobs'],
      summary: 'Launch a training job (SageMaker or local) with its own run; retry safely with Idempotency-Key',
      headers: CreateJobHeaders,
      body: JobSpecBody,
      response: { 201: Type.Ref('Job'), ...errors(400, 401, 403, 409) }
    }
  }, async (request, reply) => {
    const projectId = app.projectOf(request)
    const spec = request.body as unknown as JobSpec
    const sinks = spec.sinks ?? app.config.defaultSinks
    for (const s of sinks) if (!app.sinks.has(s)) throw new UnknownSink(s, [...app.sinks.keys()].join(', '))
    const key = request.headers['idempotency-key'] ?? null
    const requestHash = requestHashOf(request.body)
    const { job, created } = await service.create({ projectId, spec, sinks, idempotencyKey: key, requestHash })
    if (!created) reply.header('idempotent-replayed', 'true')
    return await reply.code(201).send(jobDto(job))
  })

  app.get('/v1/jobs', {
    config: { auth: 'read' },
    schema: { tags: ['jobs'], summary: 'List the project\'s jobs, newest first', querystring: ListJobsQuery, response: { 200: Page(Type.Ref('Job')), ...errors(400, 401, 403) } }
  }, async (request) => {
    const q = request.query
    const limit = q.limit ?? 100
    const jobs = await app.jobStore.list(app.projectOf(request), {
      limit, status: q.status, backend: q.backend, runId: q.runId, after: afterCursor(q.cursor)
    } as Parameters<typeof app.jobStore.list>[1])
    return newestFirstPage(jobs, limit, jobDto)
  })

  app.get('/v1/jobs/:id', {
    config: { auth: 'read' },
    schema: { tags: ['jobs'], summary: 'Get a job', params: IdParams, response: { 200: Type.Ref('Job'), ...errors(400, 401, 403, 404) } }
  }, async (request) => jobDto(await visibleJob(request, request.params.id)))

  app.get('/v1/jobs/:id/history', {
    config: { auth: 'read' },
    schema: { tags: ['jobs'], summary: 'Status transitions of a job, oldest first', params: IdParams, response: { 200: Type.Object({ items: Type.Array(JobEventSchema) }), ...errors(400, 401, 403, 404) } }
  }, async (request) => {
    const job = await visibleJob(request, request.params.id)
    return { items: (await app.jobStore.events(job.id)).map(eventDto) }
  })

  app.post('/v1/jobs/:id/stop', {
    config: { auth: 'write' },
    schema: {
      tags: ['jobs'],
      summary: 'Stop a job (SageMaker StopTrainingJob; local: SIGTERM, then SIGKILL after the grace). Its run ends KILLED',
      params: IdParams,
      response: { 200: Type.Ref('Job'), ...errors(400, 401, 403, 404, 409) }
    }
  }, async (request) => {
    const job = await visibleJob(request, request.params.id)
    if (isTerminalJob(job.status)) throw new Conflict(`job ${job.id} already ended as ${job.status}`)
    request.log.info({ jobId: job.id }, 'job stop requested')
    return jobDto(await service.stop(job))
  })

  app.get('/v1/jobs/:id/events', {
    config: { auth: 'read' },
    schema: {
      tags: ['jobs'],
      summary: 'Server-sent events: `status` (each transition, history first), `metrics` (each batch the run logs), `run` (run status), then `end`',
      params: IdParams,
      querystring: JobEventsQuery,
      response: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: Type.String() } } }, ...errors(400, 401, 403, 404) }
    }
  }, async (request, reply) => {
    const job = await visibleJob(request, request.params.id)
    let afterSeq = request.query.afterSeq ?? 0
    let lastEventId = 0
    let timer: NodeJS.Timeout | undefined
    const onStatus = (j: Job, e: JobEvent): void => {
      if (e.id <= lastEventId) return
      lastEventId = e.id
      sse.write(`id: e${e.id}\nevent: status\ndata: ${JSON.stringify({ ...eventDto(e), job: jobDto(j) })}\n\n`)
    }
    const sse = stream(reply, 'text/event-stream; charset=utf-8', () => { clearTimeout(timer); service.off(`job:${job.id}`, onStatus) })
    service.on(`job:${job.id}`, onStatus)
    for (const e of await app.jobStore.events(job.id)) onStatus(job, e)
    let lastBeat = Date.now()
    const pump = async (): Promise<void> => {
      for (;;) {
        const entries = await app.store.readEntries(job.runId, afterSeq, 256)
        for (const e of entries) {
          const records = expandEntry(e)
          const metrics = records.flatMap(r => r.kind === 'metric' ? [{ key: r.key, value: toWireValue(r.value), step: r.step, timestamp: r.timestamp }] : [])
          if (metrics.length > 0) sse.write(`id: m${e.seq}\nevent: metrics\ndata: ${JSON.stringify({ seq: e.seq, metrics })}\n\n`)
          for (const r of records) if (r.kind === 'status') sse.write(`event: run\ndata: ${JSON.stringify({ seq: e.seq, status: r.status })}\n\n`)
          afterSeq = e.seq
        }
        if (entries.length < 256) return
      }
    }
    const loop = async (): Promise<void> => {
      if (sse.ended()) return
      const current = await app.jobStore.get(job.id)
      await pump()
      if (current !== undefined && isTerminalJob(current.status)) {
        // The run may still get its last batches after the job ended; one more pump catches them.
        await pump()
        sse.write(`event: end\ndata: ${JSON.stringify(jobDto(current))}\n\n`)
        sse.end()
        return
      }
      if (Date.now() - lastBeat > 15000) { sse.write(': keep-alive\n\n'); lastBeat = Date.now() }
      timer = setTimeout(() => { loop().catch(err => { request.log.error({ err }, 'job event stream failed'); sse.end() }) }, app.config.launch.streamPollMs)
    }
    await loop()
  })

  app.get('/v1/jobs/:id/logs', {
    config: { auth: 'read' },
    schema: {
      tags: ['jobs'],
      summary: 'The local trainer\'s stdout and stderr; ?follow=true streams until the job ends',
      params: IdParams,
      querystring: JobLogsQuery,
      response: { 200: { description: 'text/plain', content: { 'text/plain': { schema: Type.String() } } }, ...errors(400, 401, 403, 404) }
    }
  }, async (request, reply) => {
    const job = await visibleJob(request, request.params.id)
    if (job.backend !== 'local') {
      throw new BadRequest(`job ${job.id} runs on SageMaker: its logs are in CloudWatch (/aws/sagemaker/TrainingJobs, streams ${job.sagemakerJobName ?? ''}/…)`)
    }
    const path = job.logPath
    let offset = 0
    if (request.query.tail !== undefined && path !== null && existsSync(path)) offset = tailOffset(path, request.query.tail)
    if (request.query.follow !== true) {
      if (path === null || !existsSync(path)) return await reply.type('text/plain; charset=utf-8').send('')
      return await reply.type('text/plain; charset=utf-8').send(createReadStream(path, { start: offset }))
    }
    let timer: NodeJS.Timeout | undefined
    const out = stream(reply, 'text/plain; charset=utf-8', () => clearTimeout(timer))
    const follow = async (): Promise<void> => {
      if (out.ended()) return
      const current = await app.jobStore.get(job.id)
      const file = current?.logPath ?? null
      const ended = current === undefined || isTerminalJob(current.status)
      if (file !== null && existsSync(file)) offset = copyNew(file, offset, s => out.write(s.replace(TOKEN, 'tgr_[redacted]')), ended)
      if (ended) { out.end(); return }
      timer = setTimeout(() => { follow().catch(() => out.end()) }, Math.min(250, app.config.launch.streamPollMs))
    }
    await follow()
  })
}

/** Byte offset where the last `lines` lines of the file start (reads at most its last 4 MiB). */
function tailOffset (path: string, lines: number): number {
  const size = statSync(path).size
  const len = Math.min(size, 4 * 1024 * 1024)
  const buf = Buffer.alloc(len)
  const fd = openSync(path, 'r')
  try { readSync(fd, buf, 0, len, size - len) } finally { closeSync(fd) }
  let n = 0
  for (let i = len - 2; i >= 0; i--) if (buf[i] === 0x0a && ++n === lines) return size - len + i + 1
  return size - len
}

/** Writes what the file gained since `offset`: whole lines only, unless this is the last read. */
function copyNew (path: string, offset: number, write: (s: string) => void, last: boolean): number {
  const size = statSync(path).size
  if (size <= offset) return offset
  const buf = Buffer.alloc(Math.min(size - offset, 1024 * 1024))
  const fd = openSync(path, 'r')
  try { readSync(fd, buf, 0, buf.length, offset) } finally { closeSync(fd) }
  const cut = last ? buf.length : buf.lastIndexOf(0x0a) + 1
  if (cut === 0) return offset
  write(buf.subarray(0, cut).toString('utf8'))
  return offset + cut
}

export default jobRoutes
