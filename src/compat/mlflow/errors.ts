import { storeFailure } from '../../store/store-errors.js'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/** MLflow's `ERROR_CODE_TO_HTTP_STATUS` (mlflow/exceptions.py) for the codes we answer with. */
const HTTP: Record<string, number> = {
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  BAD_REQUEST: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  REQUEST_LIMIT_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  NOT_IMPLEMENTED: 501,
  TEMPORARILY_UNAVAILABLE: 503
}

/** An error answered as MLflow does: `{"error_code", "message"}` with MLflow's HTTP status for the code. */
export class MlflowError extends Error {
  readonly errorCode: string
  readonly statusCode: number
  /** Set on REQUEST_LIMIT_EXCEEDED: answered as Retry-After, which the stock client honours. */
  retryAfterS?: number
  constructor (errorCode: string, message: string, statusCode?: number) {
    super(message)
    this.errorCode = errorCode
    this.statusCode = statusCode ?? HTTP[errorCode] ?? 500
  }
}

export const invalid = (message: string): MlflowError => new MlflowError('INVALID_PARAMETER_VALUE', message)
export const missing = (name: string): MlflowError =>
  invalid(`Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`)
export const runNotFound = (id: string): MlflowError => new MlflowError('RESOURCE_DOES_NOT_EXIST', `Run with id=${id} not found`)
export const notImplemented = (what: string): MlflowError =>
  new MlflowError('NOT_IMPLEMENTED', `${what} is not supported by this MLflow-compatible gateway (it tracks runs, metrics, params and tags; it stores no artifacts, models or deletions)`)

/** The gateway's own errors (status + TG_ code) in MLflow's code space, by HTTP status. */
function fromGatewayStatus (status: number): string {
  if (status === 401) return 'UNAUTHENTICATED'
  if (status === 403) return 'PERMISSION_DENIED'
  if (status === 404) return 'RESOURCE_DOES_NOT_EXIST'
  if (status === 429) return 'REQUEST_LIMIT_EXCEEDED'
  if (status === 503) return 'TEMPORARILY_UNAVAILABLE'
  return 'INVALID_PARAMETER_VALUE'
}

function translate (err: FastifyError & { errorCode?: string }, request: FastifyRequest, reply: FastifyReply): { status: number, code: string, message: string } {
  if (err instanceof MlflowError) {
    if (err.retryAfterS !== undefined) reply.header('retry-after', String(err.retryAfterS))
    return { status: err.statusCode, code: err.errorCode, message: err.message }
  }
  const code = err.code ?? ''
  const failure = storeFailure(err)
  if (failure !== undefined) {
    // Nothing was stored: 503 + Retry-After makes the stock client retry (it retries 503, not 507).
    reply.header('retry-after', failure === 'full' ? '30' : '1')
    return { status: 503, code: 'TEMPORARILY_UNAVAILABLE', message: 'the gateway store is busy or full; nothing was stored, retry shortly' }
  }
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    const ct = request.headers['content-type']
    return { status: 400, code: 'INVALID_PARAMETER_VALUE', message: ct === undefined ? 'Bad Request. Content-Type header is missing.' : "Content-Type must be one of ['application/json']" }
  }
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, code: 'INVALID_PARAMETER_VALUE', message: err.message }
  if (code.startsWith('FST_ERR_CTP') || err instanceof SyntaxError) return { status: 400, code: 'INVALID_PARAMETER_VALUE', message: `Malformed request body: ${err.message}` }
  const status = err.statusCode ?? 500
  if (status >= 500 && status !== 503) {
    request.log.error({ err }, 'request failed')
    return { status: 500, code: 'INTERNAL_ERROR', message: `internal error (request ${request.id})` }
  }
  return { status: status === 409 ? 400 : status, code: fromGatewayStatus(status), message: err.message }
}

/** Every answer under /mlflow that is not a success has MLflow's error shape, never the gateway's. */
export function installMlflowErrors (app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const { status, code, message } = translate(err, request, reply)
    reply.code(status).send({ error_code: code, message })
  })
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error_code: 'ENDPOINT_NOT_FOUND', message: `No MLflow endpoint ${request.method} ${request.url.split('?')[0]} on this gateway` })
  })
}
