import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from '@sinclair/typebox'
import { safeEqualHex } from '../auth/principal.js'
import { errors, IdParams, Page } from './schemas/common.js'
import { CreateJobHeaders } from './schemas/jobs.js'
import { ClaimAnswer, ClaimBody, TrialSchema, TuningJobSchema, TuningSummarySchema } from './schemas/tuning.js'
import { TuningSpecBody, type TuningSpecInput } from '../tuning/tuning-spec.js'
import { tuningDto, trialDto } from '../tuning/tuning-dto.js'
import type { TuningEvent } from '../tuning/tuning-service.js'
import { isTerminalTuning, type TuningJob } from '../store/tuning-store.js'
import { isTerminalJob } from '../store/job-store.js'
import { BadRequest, Conflict, Forbidden, NotFound, Unauthorized, UnknownSink } from '../errors.js'
import { afterCursor, newestFirstPage } from './newest-first.js'
import { requestHashOf } from './jobs.js'
import { longAnswer } from './long-answer.js'
import { hashSecret, newSecret } from '../util/ids.js'

const ListQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  cursor: Type.Optional(Type.String({ maxLength: 200 }))
}, { additionalProperties: false })

/** Hyperparameter tuning: a search over a job spec (SageMaker or local), every trial a job with its run. */
const tuningRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addSchema(TrialSchema)
  app.addSchema(TuningSummarySchema)
  app.addSchema(TuningJobSchema)
  const service = app.tuningService

  async function visible (request: FastifyRequest, id: string): Promise<TuningJob> {
    const t = await app.tuningStore.get(id)
    if (t === undefined || t.projectId !== app.projectOf(request)) throw new NotFound(`tuning job ${id}`)
    return t
  }

  async function dto (t: TuningJob, withTrials: boolean) {
    const trials = await app.jobStore.trials(t.id)
    return tuningDto(t, trials, await service.bestOf(t), service.groupOf(t), withTrials)
  }

  app.post('/v1/tuning-jobs', {
    config: { auth: 'write' },
    schema: {
      tags: ['tuning'],
      summary: 'Start a hyperparameter search (SageMaker Automatic Model Tuning, or run by the gateway locally); retry safely with Idempotency-Key',
      description: '`job` is exactly the body of POST /v1/jobs; every trial is a job with its own run, whose parent is the search\'s run.',
      headers: CreateJobHeaders,
      body: TuningSpecBody,
      response: { 201: Type.Ref('TuningJob'), ...errors(400, 401, 403, 409) }
    }
  }, async (request, reply) => {
    const body = request.body as unknown as TuningSpecInput
    const sinks = body.job.sinks ?? app.config.defaultSinks
    for (const s of sinks) if (!app.sinks.has(s)) throw new UnknownSink(s, [...app.sinks.keys()].join(', '))
    const { tuning, created } = await service.create({
      projectId: app.projectOf(request), body, sinks, idempotencyKey: request.headers['idempotency-key'] ?? null, requestHash: requestHashOf(request.body)
    })
    if (!created) reply.header('idempotent-replayed', 'true')
    return await reply.code(201).send(await dto(tuning, true))
  })

  app.get('/v1/tuning-jobs', {
    config: { auth: 'read' },
    schema: { tags: ['tuning'], summary: 'List the project\'s tuning jobs, newest first', querystring: ListQuery, response: { 200: Page(Type.Ref('TuningJobSummary')), ...errors(400, 401, 403) } }
  }, async (request) => {
    const limit = request.query.limit ?? 100
    const rows = await app.tuningStore.list(app.projectOf(request), { limit, ...(request.query.cursor !== undefined && { after: afterCursor(request.query.cursor) }) } as Parameters<typeof app.tuningStore.list>[1])
    const items = await Promise.all(rows.map(async t => await dto(t, false)))
    return { ...newestFirstPage(rows, limit, () => null), items }
  })

  app.get('/v1/tuning-jobs/:id', {
    config: { auth: 'read' },
    schema: { tags: ['tuning'], summary: 'A tuning job: status, counters, every trial with its values and objective, the best trial, the cost of the whole search', params: IdParams, response: { 200: Type.Ref('TuningJob'), ...errors(400, 401, 403, 404) } }
  }, async (request) => await dto(await visible(request, request.params.id), true))

  app.post('/v1/tuning-jobs/:id/stop', {
    config: { auth: 'write' },
    schema: { tags: ['tuning'], summary: 'Stop the search and its running trials (their runs end KILLED)', params: IdParams, response: { 200: Type.Ref('TuningJob'), ...errors(400, 401, 403, 404, 409) } }
  }, async (request) => {
    const t = await visible(request, request.params.id)
    if (isTerminalTuning(t.status)) throw new Conflict(`tuning job ${t.id} already ended as ${t.status}`)
    request.log.info({ tuningJobId: t.id }, 'tuning job stop requested')
    return await dto(await service.stop(t), true)
  })

  app.post('/v1/tuning-jobs/:id/claim', {
    schema: {
      tags: ['tuning'],
      summary: 'A SageMaker trial\'s container exchanges the tuning job\'s token (TRACKGATE_TUNING_TOKEN) and its TRAINING_JOB_NAME for its run and the run\'s callback token',
      params: IdParams,
      body: ClaimBody,
      response: { 200: ClaimAnswer, ...errors(400, 401, 403, 404) }
    }
  }, async (request) => {
    const t = await app.tuningStore.get(request.params.id)
    const secret = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1]
    if (secret === undefined) throw new Unauthorized()
    if (t === undefined) throw new NotFound(`tuning job ${request.params.id}`)
    if (!safeEqualHex(hashSecret(secret), t.tokenHash)) throw new Unauthorized()
    if (t.backend !== 'sagemaker') throw new BadRequest('local trials get their run\'s token from the gateway directly: nothing to claim')
    if (isTerminalTuning(t.status) && (t.endedAt ?? 0) + app.config.tokenGraceMs < Date.now()) throw new Forbidden(`tuning job ${t.id} has ended`)
    const trial = await app.sagemakerTuningTracker.trialFor(t, request.body.trainingJobName)
    if (trial === undefined) throw new Forbidden(`${request.body.trainingJobName} is not a training job of tuning job ${t.sagemakerName ?? t.id}`)
    const token = newSecret('tgr')
    await app.store.setRunToken(trial.runId, hashSecret(token))
    request.log.info({ tuningJobId: t.id, jobId: trial.id, runId: trial.runId }, 'trial claimed its run')
    return { runId: trial.runId, token }
  })

  app.get('/v1/tuning-jobs/:id/events', {
    config: { auth: 'read' },
    schema: {
      tags: ['tuning'],
      summary: 'Server-sent events: `status` (the search, first its current state), `trial-started`, `trial-ended`, `best` (a new best trial), then `end`',
      params: IdParams,
      response: { 200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: Type.String() } } }, ...errors(400, 401, 403, 404) }
    }
  }, async (request, reply) => {
    const t = await visible(request, request.params.id)
    const send = (event: string, data: unknown): void => { sse.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`) }
    const onEvent = (e: TuningEvent): void => {
      if (e.type === 'status') {
        dto(e.tuning, false).then(d => {
          send('status', d)
          if (isTerminalTuning(e.tuning.status)) { send('end', d); sse.end() }
        }, err => request.log.error({ err }, 'tuning event stream failed'))
      } else {
        send(e.type, trialDto(e.trial))
      }
    }
    const beat = setInterval(() => sse.write(': keep-alive\n\n'), 15000)
    const sse = longAnswer(reply, 'text/event-stream; charset=utf-8', app.jobService, () => { clearInterval(beat); service.off(`tuning:${t.id}`, onEvent) })
    service.on(`tuning:${t.id}`, onEvent)
    const now = await dto(await service.get(t.id), false)
    send('status', now)
    // What happened before the client connected comes first, as for a job's status history.
    for (const trial of await app.jobStore.trials(t.id)) {
      send('trial-started', trialDto(trial))
      if (isTerminalJob(trial.status)) send('trial-ended', trialDto(trial))
    }
    if (isTerminalTuning(now.status)) { send('end', now); sse.end() }
  })
}

export default tuningRoutes
