import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errors, IdParams, Page } from './schemas/common.js'
import { CreatedRunSchema, CreateRunBodySchema, FinishBody, ListRunsQuery, RunDetailSchema, RunSchema } from './schemas/runs.js'
import { hashSecret, newId, newSecret } from '../util/ids.js'
import { Conflict, SinkNotConfigured, UnknownSink } from '../errors.js'
import { runDto } from '../runs/run-dto.js'
import { afterCursor, newestFirstPage } from './newest-first.js'
import { checkParamsAndTags } from '../ingest/validate-batch.js'
import type { TerminalStatus } from '../domain/records.js'

const runRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addSchema(RunSchema)

  app.post('/v1/runs', {
    config: { auth: 'write' },
    schema: {
      tags: ['runs'],
      summary: 'Create a run; the answer holds its callback token, shown only here',
      body: CreateRunBodySchema,
      response: { 201: CreatedRunSchema, ...errors(400, 401, 403) }
    }
  }, async (request, reply) => {
    const projectId = app.projectOf(request)
    const b = request.body
    const sinks = b.sinks ?? app.config.defaultSinks
    for (const s of sinks) {
      if (!app.sinks.has(s)) throw new UnknownSink(s, [...app.sinks.keys()].join(', '))
      if (!await app.sinkTargets.available(projectId, s)) throw new SinkNotConfigured(s, s)
    }
    checkParamsAndTags(b.params ?? {}, b.tags ?? {})
    const id = newId()
    const token = newSecret('tgr')
    const run = await app.store.createRun({
      id,
      projectId,
      name: b.name ?? `run-${id.slice(0, 8)}`,
      experiment: b.experiment ?? 'default',
      tags: b.tags ?? {},
      params: b.params ?? {},
      tokenHash: hashSecret(token),
      sinks,
      jobName: null,
      createdAt: Date.now()
    })
    app.dispatcher.notify([run.id])
    request.log.info({ runId: run.id, sinks }, 'run created')
    return await reply.code(201).send({ ...runDto(run), params: b.params ?? {}, token, sinks })
  })

  app.get('/v1/runs', {
    config: { auth: 'read' },
    schema: {
      tags: ['runs'],
      summary: 'List the project\'s runs, newest first',
      querystring: ListRunsQuery,
      response: { 200: Page(Type.Ref('Run')), ...errors(400, 401, 403) }
    }
  }, async (request) => {
    const q = request.query
    const limit = q.limit ?? 100
    const runs = await app.store.listRuns(app.projectOf(request), {
      limit, status: q.status, experiment: q.experiment, after: afterCursor(q.cursor)
    } as Parameters<typeof app.store.listRuns>[1])
    return newestFirstPage(runs, limit, runDto)
  })

  app.get('/v1/runs/:id', {
    config: { auth: 'read' },
    schema: { tags: ['runs'], summary: 'Get a run with its typed params', params: IdParams, response: { 200: RunDetailSchema, ...errors(400, 401, 403, 404) } }
  }, async (request) => {
    const run = await app.visibleRun(request, request.params.id)
    return { ...runDto(run), params: await app.store.getParams(run.id) }
  })

  app.post('/v1/runs/:id/finish', {
    config: { auth: 'run-write' },
    schema: {
      tags: ['runs'],
      summary: 'End a run (write key or the run\'s token); finishing again with the same status is a no-op',
      params: IdParams,
      body: FinishBody,
      response: { 200: Type.Ref('Run'), ...errors(400, 401, 403, 404, 409) }
    }
  }, async (request) => {
    const run = request.scopedRun ?? await app.visibleRun(request, request.params.id)
    const status = request.body.status as TerminalStatus
    const { run: after, changed } = await app.store.finishRun(run.id, status, Date.now())
    if (!changed && after.status !== status) throw new Conflict(`run ${run.id} already ended as ${after.status}`)
    if (changed) {
      app.dispatcher.notify([run.id])
      request.log.info({ runId: run.id, status }, 'run finished')
    }
    return runDto(after)
  })
}

export default runRoutes
