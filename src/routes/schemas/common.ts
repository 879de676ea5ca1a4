import { Type, type TSchema } from '@sinclair/typebox'
import type { ParamValue } from '../../domain/param-value.js'

/** The one error body every 4xx/5xx answer has. Registered once (components/schemas/Error). */
export const ErrorSchema = Type.Object({
  statusCode: Type.Integer({ description: 'HTTP status, repeated' }),
  code: Type.String({ description: 'Stable machine-readable code, e.g. TG_INVALID_KEY' }),
  error: Type.String({ description: 'HTTP reason phrase' }),
  message: Type.String({ description: 'What was wrong, for a person' })
}, { $id: 'Error', title: 'Error' })

export const ErrorRef = Type.Ref('Error')

/** Error responses for a route, all pointing at the shared Error schema. */
export function errors<const C extends readonly number[]> (...codes: C): { [K in C[number]]: typeof ErrorRef } {
  return Object.fromEntries(codes.map(c => [c, ErrorRef])) as { [K in C[number]]: typeof ErrorRef }
}

export const Uuid = Type.String({ format: 'uuid', description: 'Identifier (UUID)' })
export const IdParams = Type.Object({ id: Uuid })

export const StringMap = (maxProperties: number, description: string) =>
  Type.Record(Type.String(), Type.String(), { maxProperties, description })

/** A typed param value (src/domain/param-value.ts); OpenAPI shows the JSON types it may take. */
export const ParamValueSchema = Type.Unsafe<ParamValue>(Type.Union([
  Type.String(), Type.Number(), Type.Boolean(), Type.Null(),
  Type.Array(Type.Unknown()), Type.Record(Type.String(), Type.Unknown())
], {
  description: 'A string, a finite number, a boolean, null, or an array/object of these nested at most 5 levels deep ' +
    '(at most 6000 characters as JSON). NaN and ±Infinity travel as the strings "NaN", "Infinity", "-Infinity".',
  examples: [0.001, 10, true, 'adamw', [96, 96, 96]]
}))

export const ParamMap = (maxProperties: number, description: string) =>
  Type.Record(Type.String(), ParamValueSchema, { maxProperties, description })

export const Page = <T extends TSchema>(item: T) => Type.Object({
  items: Type.Array(item),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null at the end' })
})

export const Limit = Type.Integer({ minimum: 1, maximum: 1000, default: 100 })

export const WireValue = Type.Union([
  Type.Number(),
  Type.Union([Type.Literal('NaN'), Type.Literal('Infinity'), Type.Literal('-Infinity')])
], { description: 'A number, or "NaN", "Infinity", "-Infinity"' })
