import { invalid } from './errors.js'

/**
 * A small subset of MLflow's search filter grammar (`mlflow/utils/search_utils.py`): clauses joined
 * by AND, each `<entity>.<key> <op> <value>` — entities attributes/tags/params/metrics, ops
 * = != < <= > >= LIKE ILIKE, values quoted strings or numbers. Enough for what the stock client
 * and common scripts send (`tags.mlflow.parentRunId = '…'`, `attributes.status = 'FINISHED'`,
 * `metrics.loss < 1`); anything else is a clear 400, never a silently wrong answer.
 */
export interface Clause { type: 'attribute' | 'tag' | 'param' | 'metric', key: string, op: string, value: string | number }

const TOKEN = /\s*(?:('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)(?![\w.])|(!=|<=|>=|=|<|>)|([A-Za-z_]\w*(?:\.(?:`[^`]*`|"[^"]*"|[\w.\-/:]+))?))/y

const ENTITIES: Record<string, Clause['type']> = Object.fromEntries([
  ...['attribute', 'attributes', 'attr', 'run'].map(k => [k, 'attribute']),
  ...['tag', 'tags'].map(k => [k, 'tag']),
  ...['param', 'params', 'parameter', 'parameters'].map(k => [k, 'param']),
  ...['metric', 'metrics'].map(k => [k, 'metric'])
])

const unquote = (s: string): string => s.replace(/^[`"']|[`"']$/g, '')

function tokens (s: string): string[] {
  const out: string[] = []
  TOKEN.lastIndex = 0
  while (TOKEN.lastIndex < s.length) {
    if (/^\s*$/.test(s.slice(TOKEN.lastIndex))) break
    const start = TOKEN.lastIndex
    const m = TOKEN.exec(s)
    if (m === null) throw invalid(`Invalid filter '${s}': cannot parse at position ${start}`)
    out.push(m[0].trim())
  }
  return out
}

/** Parse a filter; `bare` names attributes that may appear without an entity prefix (e.g. `name`). */
export function parseFilter (filter: string | undefined, bare: string[] = []): Clause[] {
  if (filter === undefined || filter.trim() === '') return []
  const t = tokens(filter)
  const clauses: Clause[] = []
  for (let i = 0; i < t.length;) {
    const ident = t[i++] as string
    const op = (t[i++] ?? '').toUpperCase()
    const raw = t[i++]
    const dot = ident.indexOf('.')
    const type = dot < 0 ? (bare.includes(ident) ? 'attribute' : undefined) : ENTITIES[ident.slice(0, dot).toLowerCase()]
    if (type === undefined || raw === undefined || !['=', '!=', '<', '<=', '>', '>=', 'LIKE', 'ILIKE'].includes(op)) {
      throw invalid(`Invalid filter '${filter}': expected <entity>.<key> <comparator> <value> clauses joined by AND (entities: attributes, tags, params, metrics)`)
    }
    const quoted = /^['"]/.test(raw)
    const value = quoted ? raw.slice(1, -1) : Number(raw)
    if (type === 'metric' && quoted) throw invalid(`Invalid filter '${filter}': metric values must be numbers`)
    if (type !== 'metric' && type !== 'attribute' && !quoted) throw invalid(`Invalid filter '${filter}': ${type} values must be quoted strings`)
    clauses.push({ type, key: dot < 0 ? ident : unquote(ident.slice(dot + 1)), op, value })
    if (i < t.length) {
      if ((t[i] ?? '').toUpperCase() !== 'AND') throw invalid(`Invalid filter '${filter}': only AND joins clauses`)
      i++
    }
  }
  return clauses
}

function like (pattern: string, s: string, ci: boolean): boolean {
  const re = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')
  return new RegExp(`^${re}$`, ci ? 'is' : 's').test(s)
}

/** Whether an entity's value satisfies a clause (a missing value never matches, as in MLflow). */
export function matches (c: Clause, actual: string | number | undefined): boolean {
  if (actual === undefined) return false
  const v = c.value
  switch (c.op) {
    case '=': return actual === v || (typeof actual === 'number' && actual === Number(v))
    case '!=': return !(actual === v || (typeof actual === 'number' && actual === Number(v)))
    case 'LIKE': return like(String(v), String(actual), false)
    case 'ILIKE': return like(String(v), String(actual), true)
  }
  const a = typeof actual === 'number' ? actual : Number(actual)
  const b = Number(v)
  if (c.op === '<') return a < b
  if (c.op === '<=') return a <= b
  if (c.op === '>') return a > b
  return a >= b
}
