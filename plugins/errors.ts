import fp from 'fastify-plugin'
import { storeFailure } from '../src/store/store-errors.js'
import type { FastifyError, FastifyInstance } from 'fastify'
import { STATUS_CODES } from 'node:http'
import { ErrorSchema } from '../src/routes/schemas/common.js'

/** Fastify's own request errors, renamed into our code space (the code is part of the API). */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'TG_BAD_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'TG_BAD_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'TG_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'TG_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'TG_BAD_REQUEST',
  FST_ERR_VALIDATION: 'TG_VALIDATION'
}

/** What to do about a missing field a newcomer meets, by its name. */
const REQUIRED_HINTS: Record<string, string> = {
  batchId: 'give every batch a unique batchId (a UUID) and reuse it when you retry, so the batch is stored once'
}

interface AjvIssue { instancePath?: string, message?: string, keyword?: string, params?: Record<string, unknown> }

/** Ajv's first issue as a sentence that names the field (and what to do, where we know). */
function validationMessage (context: string, issue: AjvIssue | undefined): string {
  const where = `${context}${issue?.instancePath ?? ''}`
  if (issue?.keyword === 'additionalProperties') return `${where} has an unknown field ${JSON.stringify(issue.params?.additionalProperty)}: see the schema at /docs`
  const missing = issue?.keyword === 'required' ? String(issue.params?.missingProperty) : undefined
  const hint = missing === undefined ? undefined : REQUIRED_HINTS[missing]
  return `${where} ${issue?.message ?? 'is invalid'}${hint === undefined ? '' : `: ${hint}`}`
}

/**
 * One error shape for every answer that is not a success: `{statusCode, code, error, message}`.
 * 5xx details are logged with the request id and hidden from the caller.
 */
export default fp(async function errorsPlugin (app: FastifyInstance) {
  app.addSchema(ErrorSchema)

  app.setErrorHandler((err: FastifyError, request, reply) => {
    let status = err.statusCode ?? 500
    let code = err.code ?? 'TG_INTERNAL'
    let message = err.message
    const failure = err.statusCode === undefined ? storeFailure(err) : undefined
    if (failure === 'busy') {
      // Locked past the busy timeout, or the database unreachable: nothing was stored; a retry will do.
      status = 503
      code = 'TG_STORE_BUSY'
      message = 'the store is busy; nothing was stored, retry shortly'
      reply.header('retry-after', '1')
    } else if (failure === 'full') {
      status = 507
      code = 'TG_STORE_FULL'
      message = 'the store is full; nothing was stored'
    } else if (err.validation !== undefined) {
      status = 400
      code = 'TG_VALIDATION'
      message = validationMessage(err.validationContext ?? 'request', err.validation[0])
    } else if (err instanceof SyntaxError && status === 400) {
      code = 'TG_BAD_JSON'
    } else if (FASTIFY_CODES[code] !== undefined) {
      if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
        message = `send the body as JSON with Content-Type: application/json (got ${String(request.headers['content-type'] ?? 'none')})`
      }
      code = FASTIFY_CODES[code] as string
    } else if (status < 500 && !code.startsWith('TG_')) {
      code = 'TG_BAD_REQUEST'
    }
    if (status >= 500) {
      request.log.error({ err }, 'request failed')
      if (code !== 'TG_SHUTTING_DOWN' && code !== 'TG_STORE_FULL' && code !== 'TG_STORE_BUSY') {
        code = 'TG_INTERNAL'
        message = `internal error (request ${request.id})`
      }
    }
    reply.code(status).send({ statusCode: status, code, error: STATUS_CODES[status] ?? 'Error', message })
  })

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ statusCode: 404, code: 'TG_NOT_FOUND', error: 'Not Found', message: `route ${request.method} ${request.url.split('?')[0]} not found` })
  })
}, { name: 'errors' })
