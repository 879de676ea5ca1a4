import type { AddressedRecord } from '../domain/records.js'
import type { ParamValue } from '../domain/param-value.js'
import { fromWireValue, toWireValue, type WireMetricValue } from '../domain/limits.js'

/** A record as stored in a dead letter and shown by the API: JSON-safe (non-finite values as strings). */
export type WireRecord = Omit<AddressedRecord, 'value'> & { value?: ParamValue | WireMetricValue }

export function toWireRecord (r: AddressedRecord): WireRecord {
  return r.kind === 'metric' ? { ...r, value: toWireValue(r.value) } : { ...r }
}

export function fromWireRecord (w: WireRecord): AddressedRecord {
  if (w.kind === 'metric') return { ...w, value: fromWireValue(w.value as WireMetricValue) } as AddressedRecord
  return w as AddressedRecord
}
