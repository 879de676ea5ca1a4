import { Type, type TSchema } from '@sinclair/typebox'

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

export const Page = <T extends TSchema>(item: T) => Type.Object({
  items: Type.Array(item),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as `cursor` for the next page; null at the end' })
})

export const Limit = Type.Integer({ minimum: 1, maximum: 1000, default: 100 })

export const WireValue = Type.Union([
  Type.Number(),
  Type.Union([Type.Literal('NaN'), Type.Literal('Infinity'), Type.Literal('-Infinity')])
], { description: 'A number, or "NaN", "Infinity", "-Infinity"' })
