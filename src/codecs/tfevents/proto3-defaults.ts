import protobuf from 'protobufjs'

/**
 * A copy of a plain message object without the proto3 implicit-presence fields that hold their
 * default value. protobufjs serializes every field present on the object, defaults included,
 * while Python protobuf (what PyTorch and TensorBoard write with) leaves them off the wire; to be
 * byte-identical we drop them before encoding. Oneof members keep their value even when it is
 * the default (they have explicit presence: `simple_value: 0` is data), and so do sub-messages.
 */
export function withoutDefaults (type: protobuf.Type, obj: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(obj)) {
    const field = type.fields[key]
    if (field === undefined || value === undefined || value === null) continue
    const sub = field.resolve().resolvedType
    if (field.map) {
      out[key] = sub instanceof protobuf.Type ? mapValues(value as Record<string, Record<string, unknown>>, sub) : value
    } else if (field.repeated) {
      out[key] = sub instanceof protobuf.Type ? (value as Array<Record<string, unknown>>).map((v) => withoutDefaults(sub, v)) : value
    } else if (sub instanceof protobuf.Type) {
      out[key] = withoutDefaults(sub, value as Record<string, unknown>)
    } else if (field.partOf !== null || !isDefault(value, sub)) {
      out[key] = value
    }
  }
  return out
}

function mapValues (m: Record<string, Record<string, unknown>>, type: protobuf.Type): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(m)) out[k] = withoutDefaults(type, v)
  return out
}

function isDefault (value: unknown, type: protobuf.Enum | protobuf.Type | null): boolean {
  if (type instanceof protobuf.Enum && typeof value === 'string') return type.values[value] === 0
  // -0 has a non-zero bit pattern, which Python's upb encoder writes; protobufjs agrees.
  if (typeof value === 'number') return value === 0 && !Object.is(value, -0)
  if (typeof value === 'bigint') return value === 0n
  if (value instanceof Uint8Array) return value.length === 0
  return value === '' || value === false
}
