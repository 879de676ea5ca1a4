import { decodeEvent, type SummaryValue } from '../../codecs/tfevents/event-decoder.js'
import { decodeHparamsPluginData, type JsonValue } from '../../codecs/tfevents/hparams-decoder.js'
import { EventType } from '../../codecs/tfevents/proto-root.js'
import { MAX_PARAMS_PER_BATCH, MAX_TAG_VALUE_LENGTH, MAX_TAGS_PER_BATCH, toWireValue, type WireMetricValue } from '../../domain/limits.js'
import { MAX_PARAM_JSON_LENGTH, paramValueProblem, type ParamValue } from '../../domain/param-value.js'
import { decodeSimpleScalars } from '../../codecs/tfevents/simple-scalars.js'
import { payloadOf, type CorruptRecord, type FramedRecord } from './upload-framing.js'
import { toKey } from './tfevents-keys.js'

export const HPARAMS_PLUGIN = 'hparams'
export const TEXT_PLUGIN = 'text'
const SESSION_START = '_hparams_/session_start_info'
const SESSION_END = '_hparams_/session_end_info'

export interface UploadContent {
  metrics: Array<{ key: string, value: WireMetricValue, step: number, timestamp: number }>
  params: Record<string, ParamValue>
  tags: Record<string, string>
  /** Records read (decoded or not); the ones taken end at `end`. */
  records: number
  scalars: number
  corrupt: CorruptRecord[]
  /** File offset after the last record taken: below the framed end when a batch limit was reached. */
  end: number
}

/**
 * Turns framed records into one batch for the run log. Keys are `<run prefix><tag>`:
 * - scalars (simple_value, or a one-element numeric tensor whose metadata names `scalars` or
 *   carries no plugin, since TF2 writers send metadata with a tag's first value only) → metrics
 *   at the event's step, wall time in ms;
 * - HParams session_start_info → typed params `<prefix><hparam>`; session_end_info → a tag
 *   `<prefix>hparams/session_end` holding the status name (a note, the run's status is untouched);
 *   the experiment value carries no data for a run and is dropped;
 * - text summaries → tags `<prefix>text/<tag>` holding the text (elements joined by newlines,
 *   cut to the tag value limit; the last step wins).
 * It stops before a record that would overflow a batch limit, so the rest comes in the next upload.
 */
export function uploadContent (records: FramedRecord[], prefix: string, end: number, maxMetrics: number): UploadContent {
  const out: UploadContent = { metrics: [], params: {}, tags: {}, records: 0, scalars: 0, corrupt: [], end }
  const keys = new Map<string, string>()
  const keyOf = (tag: string): string => {
    let k = keys.get(tag)
    if (k === undefined) { k = toKey(prefix + tag); keys.set(tag, k) }
    return k
  }
  for (const rec of records) {
    const simple = decodeSimpleScalars(rec.bytes, rec.from, rec.to)
    if (simple !== undefined) { // add_scalar's records: most of any file
      if (out.records > 0 && out.metrics.length + simple.values.length > maxMetrics) { out.end = rec.start; return out }
      const timestamp = Math.round(simple.wallTime * 1000)
      for (let i = 0; i < simple.values.length; i++) {
        out.metrics.push({ key: keyOf(simple.tags[i] as string), value: toWireValue(simple.values[i] as number), step: simple.step, timestamp })
      }
      out.scalars += simple.values.length
      out.records++
      continue
    }
    const metrics: UploadContent['metrics'] = []
    const params: Record<string, ParamValue> = {}
    const tags: Record<string, string> = {}
    try {
      const event = decodeEvent(payloadOf(rec))
      const timestamp = Math.round(event.wallTime * 1000)
      for (const v of event.summary ?? []) {
        const value = scalarOf(v)
        if (value !== undefined) {
          metrics.push({ key: keyOf(v.tag), value: toWireValue(value), step: event.step, timestamp })
        } else if (v.pluginName === HPARAMS_PLUGIN && v.pluginContent !== undefined) {
          const hp = decodeHparamsPluginData(v.pluginContent)
          if (v.tag === SESSION_START && hp.sessionStartInfo !== undefined) {
            for (const [k, raw] of Object.entries(hp.sessionStartInfo.hparams)) {
              if (raw !== null) params[toKey(prefix + k)] = asParam(raw)
            }
          } else if (v.tag === SESSION_END && hp.sessionEndInfo !== undefined) {
            tags[toKey(prefix + 'hparams/session_end')] = hp.sessionEndInfo.status
          }
        } else if (v.pluginName === TEXT_PLUGIN) {
          const text = textOf(payloadOf(rec), v.tag)
          if (text !== undefined) tags[toKey(prefix + 'text/' + v.tag)] = cut(text, MAX_TAG_VALUE_LENGTH)
        }
      }
    } catch (err) {
      out.corrupt.push({ offset: rec.start, reason: 'decode', message: (err as Error).message.slice(0, 300) })
      out.records++
      continue
    }
    if (out.records > 0 && wouldOverflow(out, metrics.length, params, tags, maxMetrics)) { out.end = rec.start; return out }
    out.metrics.push(...metrics)
    Object.assign(out.params, params)
    Object.assign(out.tags, tags)
    out.scalars += metrics.length
    out.records++
  }
  return out
}

function scalarOf (v: SummaryValue): number | undefined {
  if (v.scalar !== undefined) return v.scalar
  if (v.tensorNumber !== undefined && v.pluginName === undefined) return v.tensorNumber
  return undefined
}

function wouldOverflow (out: UploadContent, nMetrics: number, params: object, tags: object, maxMetrics: number): boolean {
  const nParams = new Set([...Object.keys(out.params), ...Object.keys(params)]).size
  const nTags = new Set([...Object.keys(out.tags), ...Object.keys(tags)]).size
  return out.metrics.length + nMetrics > maxMetrics || nParams > MAX_PARAMS_PER_BATCH || nTags > MAX_TAGS_PER_BATCH
}

/** An hparam as a typed param; a value the param rules refuse (NaN, too deep, too long) becomes its JSON text. */
function asParam (v: JsonValue): ParamValue {
  if (paramValueProblem(v) === undefined && JSON.stringify(v).length <= MAX_PARAM_JSON_LENGTH) return v
  return cut(typeof v === 'number' ? String(v) : JSON.stringify(v), MAX_PARAM_JSON_LENGTH)
}

function cut (s: string, max: number): string {
  const cps = Array.from(s)
  return cps.length <= max ? s : cps.slice(0, max).join('')
}

interface RawTextEvent { summary?: { value?: Array<{ tag?: string, tensor?: { string_val?: Uint8Array[] } }> } }

/** The text of a `text` plugin value (a string tensor, which the event decoder does not expose). */
function textOf (payload: Buffer, tag: string): string | undefined {
  const raw = EventType.toObject(EventType.decode(payload)) as RawTextEvent
  const value = (raw.summary?.value ?? []).find(v => v.tag === tag)
  const strings = value?.tensor?.string_val
  if (strings === undefined || strings.length === 0) return undefined
  return strings.map(s => Buffer.from(s.buffer, s.byteOffset, s.byteLength).toString('utf8')).join('\n')
}
