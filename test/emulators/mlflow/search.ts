import type { Run, MlflowState } from './store.js'
import { invalid, LIMITS } from './validation.js'

/**
 * The part of MLflow's search grammar clients use to find runs: `AND`-joined comparisons on
 * `tags.`, `params.`, `metrics.` and `attributes.` (keys bare, `backticked` or "quoted"; string
 * values in single or double quotes). Anything else is a 400 like the real parser's.
 */
interface Clause { entity: 'tags' | 'params' | 'metrics' | 'attributes', key: string, op: string, value: string | number }

const ENTITY: Record<string, Clause['entity']> = {
  tags: 'tags',
  tag: 'tags',
  params: 'params',
  param: 'params',
  parameter: 'params',
  parameters: 'params',
  metrics: 'metrics',
  metric: 'metrics',
  attributes: 'attributes',
  attribute: 'attributes',
  attr: 'attributes',
  run: 'attributes'
}

const CLAUSE = /^\s*(\w+)\.(`(?:[^`])+`|"(?:[^"])+"|[\w.:/-]+)\s*(!=|>=|<=|=|>|<|\bNOT LIKE\b|\bILIKE\b|\bLIKE\b)\s*('(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*/i

export function parseFilter (filter: string): Clause[] {
  const out: Clause[] = []
  let rest = filter.trim()
  while (rest !== '') {
    const m = CLAUSE.exec(rest)
    const entity = m === null ? undefined : ENTITY[(m[1] ?? '').toLowerCase()]
    if (m === null || entity === undefined) throw invalid(`Invalid filter '${filter}'. Could not be parsed.`)
    const rawKey = m[2] ?? ''
    const key = /^[`"]/.test(rawKey) ? rawKey.slice(1, -1) : rawKey
    const rawValue = m[4] ?? ''
    const quoted = /^['"]/.test(rawValue)
    if (entity !== 'metrics' && !quoted && entity !== 'attributes') throw invalid(`Invalid filter '${filter}'. Value must be a quoted string for ${entity}.`)
    const value = quoted ? rawValue.slice(1, -1).replace(/\\(.)/g, '$1') : Number(rawValue)
    out.push({ entity, key, op: (m[3] ?? '').toUpperCase(), value })
    rest = rest.slice(m[0].length)
    if (rest === '') break
    const and = /^AND\s+/i.exec(rest)
    if (and === null) throw invalid(`Invalid filter '${filter}'. Only AND is supported.`)
    rest = rest.slice(and[0].length)
  }
  return out
}

function like (value: string, pattern: string, ci: boolean): boolean {
  const re = '^' + pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.') + '$'
  return new RegExp(re, ci ? 'is' : 's').test(value)
}

function compare (actual: string | number | undefined, op: string, expected: string | number): boolean {
  if (actual === undefined) return false
  switch (op) {
    case '=': return actual === expected
    case '!=': return actual !== expected
    case 'LIKE': return like(String(actual), String(expected), false)
    case 'ILIKE': return like(String(actual), String(expected), true)
    case 'NOT LIKE': return !like(String(actual), String(expected), false)
    case '>': return actual > expected
    case '>=': return actual >= expected
    case '<': return actual < expected
    case '<=': return actual <= expected
    default: return false
  }
}

function field (state: MlflowState, run: Run, c: Clause): string | number | undefined {
  if (c.entity === 'tags') return run.tags.get(c.key)
  if (c.entity === 'params') return run.params.get(c.key)
  if (c.entity === 'metrics') return state.latest(run).find(p => p.key === c.key)?.value
  const info = run.info as unknown as Record<string, string | number | undefined>
  return c.key === 'run_uuid' ? run.info.run_id : info[c.key]
}

export interface SearchRequest { experimentIds: string[], filter: string, viewType: string, maxResults: number, orderBy: string[], pageToken: string | undefined }

export function searchRuns (state: MlflowState, req: SearchRequest): { runs: Run[], nextPageToken: string | undefined } {
  if (req.maxResults > LIMITS.searchMaxResults) throw invalid(`Invalid value ${req.maxResults} for parameter 'max_results' supplied. It must be at most ${LIMITS.searchMaxResults}`)
  const clauses = parseFilter(req.filter)
  const wanted = (stage: string): boolean =>
    req.viewType === 'ALL' ? true : req.viewType === 'DELETED_ONLY' ? stage === 'deleted' : stage === 'active'
  const found = [...state.runs.values()].filter(r =>
    req.experimentIds.includes(r.info.experiment_id) && wanted(r.info.lifecycle_stage) &&
    clauses.every(c => compare(field(state, r, c), c.op, c.value)))
  const order = req.orderBy[0] ?? 'attributes.start_time DESC'
  const m = /^(?:attributes?\.)?(start_time|end_time|run_name)\s*(ASC|DESC)?$/i.exec(order.trim())
  if (m === null) throw invalid(`Invalid order_by clause '${order}'.`)
  const key = (m[1] ?? 'start_time').toLowerCase() as 'start_time' | 'end_time' | 'run_name'
  const dir = (m[2] ?? 'ASC').toUpperCase() === 'DESC' ? -1 : 1
  found.sort((a, b) => {
    const x = a.info[key] ?? 0; const y = b.info[key] ?? 0
    return (x < y ? -1 : x > y ? 1 : 0) * dir || (a.info.run_id < b.info.run_id ? -1 : 1)
  })
  const offset = req.pageToken === undefined ? 0 : (JSON.parse(Buffer.from(req.pageToken, 'base64').toString()) as { offset: number }).offset
  const page = found.slice(offset, offset + req.maxResults)
  const next = offset + req.maxResults < found.length ? Buffer.from(JSON.stringify({ offset: offset + req.maxResults })).toString('base64') : undefined
  return { runs: page, nextPageToken: next }
}
