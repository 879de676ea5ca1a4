import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

/**
 * Two validators: bodies are checked as sent (no coercion: `null`, `true` or `0.1` must not pass
 * for a metric value or a string param), while querystring, params and headers — always strings
 * on the wire — are coerced to the declared types.
 */
function makeAjv (opts: Options): Ajv {
  const ajv = new Ajv({ removeAdditional: false, useDefaults: true, allErrors: false, strict: false, ...opts })
  addFormats.default(ajv)
  return ajv
}

export function schemaCompiler (): FastifySchemaCompiler<unknown> {
  const body = makeAjv({ coerceTypes: false })
  const strings = makeAjv({ coerceTypes: 'array' })
  return ({ schema, httpPart }) => (httpPart === 'body' ? body : strings).compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>
}
