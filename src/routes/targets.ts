import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { errors, Uuid } from './schemas/common.js'
import { BadRequest, NotFound } from '../errors.js'
import { assertManagesProject } from './project-access.js'
import { MlflowTargetSchema, publicTarget, TARGET_SCHEMAS, WandbTargetSchema, type TargetSink } from '../sinks/targets.js'

const TargetParams = Type.Object({ id: Uuid, sink: Type.Union([Type.Literal('mlflow'), Type.Literal('wandb')]) })
const PublicTarget = Type.Object({
  sink: Type.String(),
  config: Type.Record(Type.String(), Type.Unknown(), { description: 'The target; secrets appear only as `<field>Set: true`' }),
  updatedAt: Type.String({ format: 'date-time' })
})

/**
 * Per-project MLflow and W&B targets. Secrets are write-only; the gateway-wide target from the
 * environment applies to projects that set none.
 */
const targetRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.put('/v1/projects/:id/targets/:sink', {
    config: { auth: 'project-admin' },
    schema: {
      tags: ['projects'],
      summary: 'Set the project\'s MLflow or W&B target (project admin key)',
      description: 'Body for mlflow: `{trackingUri, token?, username?, password?}`; for wandb: `{baseUrl?, apiKey, entity?, project}`.',
      params: TargetParams,
      body: Type.Union([MlflowTargetSchema, WandbTargetSchema]),
      response: { 200: PublicTarget, ...errors(400, 401, 403, 404) }
    }
  }, async (request) => {
    const { id, sink } = request.params
    await assertManagesProject(app, request, id)
    const schema = TARGET_SCHEMAS[sink as TargetSink]
    if (!Value.Check(schema, request.body)) {
      const first = Value.Errors(schema, request.body).First()
      throw new BadRequest(`${sink} target${first?.path ?? ''} ${first?.message ?? 'is invalid'}`)
    }
    const now = Date.now()
    await app.targetVault.put(id, sink, request.body as Record<string, unknown>, now)
    app.sinkTargets.forgetTarget(id, sink)
    request.log.info({ projectId: id, sink }, 'sink target set')
    return { sink, config: publicTarget(request.body as Record<string, unknown>), updatedAt: new Date(now).toISOString() }
  })

  app.get('/v1/projects/:id/targets', {
    config: { auth: 'project-admin' },
    schema: {
      tags: ['projects'],
      summary: 'The project\'s own sink targets (secrets hidden)',
      params: Type.Object({ id: Uuid }),
      response: { 200: Type.Array(PublicTarget), ...errors(400, 401, 403, 404) }
    }
  }, async (request) => {
    await assertManagesProject(app, request, request.params.id)
    const rows = await app.targetVault.list(request.params.id)
    return rows.map(r => ({ sink: r.sink, config: publicTarget(r.config), updatedAt: new Date(r.updatedAt).toISOString() }))
  })

  app.delete('/v1/projects/:id/targets/:sink', {
    config: { auth: 'project-admin' },
    schema: { tags: ['projects'], summary: 'Remove the project\'s own target (the gateway-wide one applies again)', params: TargetParams, response: { 204: Type.Null(), ...errors(400, 401, 403, 404) } }
  }, async (request, reply) => {
    const { id, sink } = request.params
    await assertManagesProject(app, request, id)
    if (!await app.targetVault.delete(id, sink)) throw new NotFound(`${sink} target of project ${id}`)
    app.sinkTargets.forgetTarget(id, sink)
    request.log.info({ projectId: id, sink }, 'sink target removed')
    return await reply.code(204).send(null)
  })
}

export default targetRoutes
