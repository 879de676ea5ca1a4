import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { errors, IdParams, Uuid } from './schemas/common.js'
import { hashSecret, newId, newSecret } from '../util/ids.js'
import { NotFound } from '../errors.js'
import { assertManagesProject } from './project-access.js'

const Project = Type.Object({ id: Uuid, name: Type.String(), createdAt: Type.String({ format: 'date-time' }) })

/** Projects and their API keys. Creating a project needs the gateway admin key. */
const projectRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/v1/projects', {
    config: { auth: 'admin' },
    schema: {
      tags: ['projects'],
      summary: 'Create a project (gateway admin key)',
      body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
      response: { 201: Project, ...errors(400, 401, 403) }
    }
  }, async (request, reply) => {
    const p = await app.store.createProject({ id: newId(), name: request.body.name, createdAt: Date.now() })
    request.log.info({ projectId: p.id }, 'project created')
    return await reply.code(201).send({ ...p, createdAt: new Date(p.createdAt).toISOString() })
  })

  app.post('/v1/projects/:id/keys', {
    config: { auth: 'project-admin' },
    schema: {
      tags: ['projects'],
      summary: 'Create an API key in a project; the key is shown only in this answer',
      params: IdParams,
      body: Type.Object({ role: Type.Union([Type.Literal('admin'), Type.Literal('write'), Type.Literal('read')]) }, { additionalProperties: false }),
      response: {
        201: Type.Object({ id: Uuid, projectId: Uuid, role: Type.String(), key: Type.String({ description: 'Bearer key; store it now, it is never shown again' }) }),
        ...errors(400, 401, 403, 404)
      }
    }
  }, async (request, reply) => {
    const { id } = request.params
    await assertManagesProject(app, request, id)
    const key = newSecret('tgk')
    const k = { id: newId(), projectId: id, role: request.body.role }
    await app.store.createApiKey({ ...k, hash: hashSecret(key) })
    request.log.info({ projectId: id, keyId: k.id, role: k.role }, 'api key created')
    return await reply.code(201).send({ ...k, key })
  })

  app.get('/v1/projects/:id/keys', {
    config: { auth: 'project-admin' },
    schema: {
      tags: ['projects'],
      summary: 'List the project\'s API keys (ids and roles; the keys themselves are never shown again)',
      params: IdParams,
      response: { 200: Type.Array(Type.Object({ id: Uuid, role: Type.String(), createdAt: Type.String({ format: 'date-time' }) })), ...errors(400, 401, 403, 404) }
    }
  }, async (request) => {
    await assertManagesProject(app, request, request.params.id)
    const keys = await app.store.listApiKeys(request.params.id)
    return keys.map(k => ({ id: k.id, role: k.role, createdAt: new Date(k.createdAt).toISOString() }))
  })

  app.delete('/v1/projects/:id/keys/:keyId', {
    config: { auth: 'project-admin' },
    schema: {
      tags: ['projects'],
      summary: 'Revoke an API key; it stops working at once',
      params: Type.Object({ id: Uuid, keyId: Uuid }),
      response: { 204: Type.Null(), ...errors(400, 401, 403, 404) }
    }
  }, async (request, reply) => {
    const { id, keyId } = request.params
    await assertManagesProject(app, request, id)
    if (!await app.store.revokeApiKey(id, keyId)) throw new NotFound(`key ${keyId} in project ${id}`)
    app.forgetKeys()
    request.log.info({ projectId: id, keyId }, 'api key revoked')
    return await reply.code(204).send(null)
  })
}

export default projectRoutes
