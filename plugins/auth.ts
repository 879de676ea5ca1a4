import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { KeyResolver, roleAtLeast, safeEqualHex, type AuthNeed, type Principal } from '../src/auth/principal.js'
import { Forbidden, RunNotFound, Unauthorized } from '../src/errors.js'
import { hashSecret } from '../src/util/ids.js'
import type { Run } from '../src/store/store.js'

declare module 'fastify' {
  interface FastifyContextConfig { auth?: AuthNeed }
  interface FastifyRequest {
    principal: Principal | null
    /** The run named by `:id`, loaded and scoped by the auth hook for `run-write` routes. */
    scopedRun: Run | null
  }
  interface FastifyInstance {
    /** The project a principal may act in; throws for the gateway admin key (it has none). */
    projectOf (request: FastifyRequest): string
    /** Forget cached API keys, so a revoked key stops working at once. */
    forgetKeys (): void
    /** Load a run visible to the caller, or throw 404 (another project's run is a 404 too). */
    visibleRun (request: FastifyRequest, id: string): Promise<Run>
  }
}

const bearer = (header: string | undefined, url: string): string | undefined => {
  if (header === undefined) return undefined
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
  if (m !== null) return m[1]
  // The stock MLflow client sends MLFLOW_TRACKING_USERNAME/PASSWORD as Basic auth: the password is the key.
  const b = url.startsWith('/mlflow/') ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null
  if (b === null) return undefined
  const decoded = Buffer.from(b[1] as string, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon < 0 || colon === decoded.length - 1 ? undefined : decoded.slice(colon + 1)
}

/**
 * Every route declares `config.auth`. Project keys (admin/write/read) scope everything to their
 * project; a run's callback token may only append to (and finish) that run, until the run has
 * ended plus the grace period.
 */
export default fp(async function authPlugin (app: FastifyInstance) {
  const keys = new KeyResolver(app.store, app.config.adminKey)
  app.decorateRequest('principal', null)
  app.decorateRequest('scopedRun', null)

  app.decorate('forgetKeys', () => { keys.forget() })

  app.decorate('projectOf', (request: FastifyRequest): string => {
    const p = request.principal
    if (p?.kind !== 'key') throw new Forbidden('this route needs a project API key')
    return p.projectId
  })

  app.decorate('visibleRun', async (request: FastifyRequest, id: string): Promise<Run> => {
    const run = await app.store.getRun(id)
    const p = request.principal
    const visible = run !== undefined && (
      (p?.kind === 'key' && p.projectId === run.projectId) || (p?.kind === 'token' && p.runId === run.id))
    if (!visible) throw new RunNotFound(id)
    return run
  })

  app.addHook('onRequest', async (request) => {
    const need = request.routeOptions.config.auth ?? 'none'
    if (need === 'none') return
    const secret = bearer(request.headers.authorization, request.url)
    if (secret === undefined) throw new Unauthorized()
    if (need === 'run-write' && secret.startsWith('tgr_')) {
      await authenticateToken(request, secret)
      return
    }
    const p = await keys.resolve(secret)
    if (p === null) throw new Unauthorized()
    request.principal = p
    if (need === 'admin') {
      if (p.kind !== 'admin') throw new Forbidden('this route needs the gateway admin key')
      return
    }
    if (need === 'project-admin') {
      if (p.kind === 'admin' || (p.kind === 'key' && p.role === 'admin')) return
      throw new Forbidden('this route needs the gateway admin key or a project admin key')
    }
    if (p.kind !== 'key') throw new Forbidden('this route needs a project API key')
    const role = need === 'read' ? 'read' : 'write'
    if (!roleAtLeast(p.role, role)) throw new Forbidden(`this route needs a ${role} key; this key is ${p.role}`)
  })

  async function authenticateToken (request: FastifyRequest, token: string): Promise<void> {
    const id = (request.params as { id?: string }).id
    const run = id === undefined ? undefined : await app.store.getRun(id)
    // A token for another run is indistinguishable from a wrong token: 401, never a hint.
    if (run === undefined || !safeEqualHex(hashSecret(token), run.tokenHash)) throw new Unauthorized()
    if (run.endedAt !== null && run.endedAt + app.config.tokenGraceMs < Date.now()) {
      throw new Forbidden(`run ${run.id} has ended and its callback token has expired`)
    }
    request.principal = { kind: 'token', runId: run.id }
    request.scopedRun = run
  }
}, { name: 'auth', dependencies: ['store'] })
