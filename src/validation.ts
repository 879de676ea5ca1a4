import { Ajv, type Options } from 'ajv'
import addFormats from 'ajv-formats'
import type { FastifySchemaCompiler } from 'fastify'

/**
 * Two validators: bodies are checked as sent (no coercion, no silent removal: `null`, `true` or
 * `0.1` must not pass for a metric value or a string param, and an unknown field is a 400), while
 * querystring, params and headers — always strings on the wire — are coerced to the declared types.
 *
 * Installed through Fastify's schemaController so that every encapsulated context gets it, also
 * the ones that add shared schemas of their own (setValidatorCompiler on the root does not reach
 * those).
 */
function makeAjv (opts: Options, external: Record<string, unknown>): Ajv {
  const ajv = new Ajv({ removeAdditional: false, useDefaults: true, allErrors: false, strict: false, ...opts })
  addFormats.default(ajv)
  for (const schema of Object.values(external)) ajv.addSchema(schema as object)
  return ajv
}

export function buildValidator (external: Record<string, unknown> = {}): FastifySchemaCompiler<unknown> {
  const body = makeAjv({ coerceTypes: false }, external)
  const strings = makeAjv({ coerceTypes: 'array' }, external)
  return ({ schema, httpPart }) => (httpPart === 'body' ? body : strings).compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>
}
