import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Forbidden, NotFound } from '../errors.js'

/**
 * For routes that manage a project (keys, sink targets) under `project-admin` auth: the gateway
 * admin key may act on any project, a project admin key on its own only.
 */
export async function assertManagesProject (app: FastifyInstance, request: FastifyRequest, projectId: string): Promise<void> {
  const p = request.principal
  if (p?.kind === 'key' && p.projectId !== projectId) throw new Forbidden('a project admin key can only manage its own project')
  if (await app.store.getProject(projectId) === undefined) throw new NotFound(`project ${projectId}`)
}
