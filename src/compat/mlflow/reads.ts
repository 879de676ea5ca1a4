import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Run } from '../../store/store.js'
import { invalid } from './errors.js'
import { experimentOf } from './experiments.js'
import { matches, parseFilter, type Clause } from './filter.js'
import { projectRun, type RpcRegistrar } from './logging.js'
import { mlflowRun } from './runs.js'
import { artifactUri, decodeToken, encodeToken, fields, metricOut, optInt64, optString, paramText, requiredString, runIdOf, stringList, type Fields } from './wire.js'

const MAX_HISTORY_PAGE = 25000 // what the stock client asks for (GET_METRIC_HISTORY_MAX_RESULTS)

function attribute (run: Run, key: string): string | number | undefined {
  switch (key) {
    case 'run_id': case 'run_uuid': case 'id': return run.id
    case 'run_name': case 'name': return run.name
    case 'status': return run.status
    case 'start_time': case 'created': return run.createdAt
    case 'end_time': return run.endedAt ?? undefined
    case 'user_id': return run.tags['mlflow.user']
    case 'artifact_uri': return artifactUri(run)
    case 'lifecycle_stage': return 'active'
  }
  throw invalid(`Invalid attribute key '${key}' in the search filter`)
}

async function runMatches (app: FastifyInstance, run: Run, clauses: Clause[]): Promise<boolean> {
  const needParams = clauses.some(c => c.type === 'param')
  const needMetrics = clauses.some(c => c.type === 'metric')
  const params = needParams ? await app.store.getParams(run.id) : {}
  const metrics = needMetrics ? await app.metricsView.latest(run.id) : {}
  return clauses.every(c => {
    if (c.type === 'attribute') return matches(c, attribute(run, c.key))
    if (c.type === 'tag') return matches(c, run.tags[c.key])
    if (c.type === 'param') { const p = params[c.key]; return matches(c, p === undefined ? undefined : paramText(p)) }
    const m = metrics[c.key]
    return matches(c, m === undefined ? undefined : typeof m.value === 'number' ? m.value : Number(m.value))
  })
}

/** Newest first (MLflow's default `start_time DESC`), or by start time / name if asked. */
function orderBy (list: string[]): (a: Run, b: Run) => number {
  const [first, ...rest] = list
  if (first === undefined) return (a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1)
  const m = /^(?:attributes?\.)?(start_time|run_name|end_time)(?:\s+(ASC|DESC))?$/i.exec(first.trim())
  if (m === null || rest.length > 0) throw invalid(`Invalid order_by clause '${list.join(', ')}': this gateway orders runs by start_time, end_time or run_name only`)
  const key = (m[1] as string).toLowerCase()
  const dir = (m[2] ?? 'ASC').toUpperCase() === 'DESC' ? -1 : 1
  const v = (r: Run): number | string => key === 'run_name' ? r.name : key === 'end_time' ? r.endedAt ?? Infinity : r.createdAt
  return (a, b) => { const x = v(a); const y = v(b); return (x < y ? -dir : x > y ? dir : 0) || (a.id < b.id ? -1 : 1) }
}

async function runsOf (app: FastifyInstance, projectId: string, experiment: string): Promise<Run[]> {
  const out: Run[] = []
  let after: { createdAt: number, id: string } | undefined
  for (;;) {
    const page = await app.store.listRuns(projectId, { experiment, limit: 1000, ...(after === undefined ? {} : { after }) })
    out.push(...page)
    const last = page[page.length - 1]
    if (page.length < 1000 || last === undefined) return out
    after = { createdAt: last.createdAt, id: last.id }
  }
}

/** runs/search and metrics/get-history. */
export function registerReads (app: FastifyInstance, rpc: RpcRegistrar): void {
  const search = async (request: FastifyRequest, f: Fields) => {
    const projectId = app.projectOf(request)
    const experiments = stringList(f, 'experiment_ids').map(experimentOf)
    const clauses = parseFilter(optString(f, 'filter'))
    const max = optInt64(f, 'max_results') ?? 1000
    if (max < 1 || max > 50000) throw invalid(`Invalid value ${max} for parameter 'max_results' supplied: it must be between 1 and 50000`)
    const offset = decodeToken(optString(f, 'page_token'), ['o'])?.o ?? 0
    const view = optString(f, 'run_view_type')
    if (view === 'DELETED_ONLY' || view === '2') return { runs: [] } // the gateway deletes no runs
    const sort = orderBy(stringList(f, 'order_by'))
    const all: Run[] = []
    for (const e of new Set(experiments)) {
      for (const r of await runsOf(app, projectId, e)) if (await runMatches(app, r, clauses)) all.push(r)
    }
    all.sort(sort)
    const page = all.slice(offset, offset + max)
    const runs = await Promise.all(page.map(async r => await mlflowRun(app, r)))
    return { runs, ...(offset + max < all.length ? { next_page_token: encodeToken({ o: offset + max }) } : {}) }
  }
  rpc('POST', 'runs/search', 'read', async (request) => await search(request, fields(request.body)))
  rpc('GET', 'runs/search', 'read', async (request) => await search(request, request.query as Fields))

  // Points in log order (the order the client sent them); MLflow's SQL store sorts by (timestamp, step, value).
  rpc('GET', 'metrics/get-history', 'read', async (request) => {
    const q = request.query as Fields
    const run = await projectRun(app, request, runIdOf(q))
    const key = requiredString(q, 'metric_key')
    const limit = Math.min(optInt64(q, 'max_results') ?? MAX_HISTORY_PAGE, MAX_HISTORY_PAGE)
    if (limit < 1) throw invalid(`Invalid value ${limit} for parameter 'max_results' supplied: it must be at least 1`)
    const cursor = decodeToken(optString(q, 'page_token'), ['s', 'i'])
    const page = await app.metricsView.history(run.id, {
      key, limit, ...(cursor === undefined ? {} : { cursor: { seq: cursor.s as number, idx: cursor.i as number } })
    })
    return {
      metrics: page.items.map(metricOut),
      ...(page.next === null ? {} : { next_page_token: encodeToken({ s: page.next.seq, i: page.next.idx }) })
    }
  })
}
