import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Run } from '../../store/store.js'
import { invalid, MlflowError } from './errors.js'
import { experimentId, experimentOfId, GATEWAY_DEFAULT, gatewayName, mlflowName } from './experiment-ids.js'
import { matches, parseFilter } from './filter.js'
import type { RpcRegistrar } from './logging.js'
import { decodeToken, encodeToken, fields, optInt64, optString, requiredString, type Fields } from './wire.js'

const MAX_EXPERIMENT_NAME = 250 // the gateway's run `experiment` limit (MLflow allows 500)

/**
 * Experiments are run groups by name: one exists when the project has a run in it, or when
 * experiments/create named it since this process started (nothing is stored for an empty
 * experiment; after a restart, create answers the same id again).
 */
export class ExperimentBook {
  private readonly created = new Map<string, number>()
  private readonly app: FastifyInstance
  constructor (app: FastifyInstance) { this.app = app }

  private k (projectId: string, name: string): string { return `${projectId}\n${name}` }

  async firstRun (projectId: string, name: string): Promise<Run | undefined> {
    return (await this.app.store.listRuns(projectId, { experiment: name, limit: 1 }))[0]
  }

  /** Creation time of an existing experiment (its newest run's, for one made by runs), else undefined. */
  async exists (projectId: string, name: string): Promise<number | undefined> {
    const at = this.created.get(this.k(projectId, name))
    if (at !== undefined) return at
    if (name === GATEWAY_DEFAULT) return 0
    return (await this.firstRun(projectId, name))?.createdAt
  }

  create (projectId: string, name: string, now: number): void { this.created.set(this.k(projectId, name), now) }

  /** Every experiment of a project: the default, the ones created here, and those its runs name. */
  async all (projectId: string): Promise<Map<string, number>> {
    const out = new Map<string, number>([[GATEWAY_DEFAULT, 0]])
    for (const [k, at] of this.created) if (k.startsWith(`${projectId}\n`)) out.set(k.slice(projectId.length + 1), at)
    let after: { createdAt: number, id: string } | undefined
    for (;;) {
      const runs = await this.app.store.listRuns(projectId, { limit: 1000, ...(after === undefined ? {} : { after }) })
      for (const r of runs) {
        const at = out.get(r.experiment)
        if (at === undefined || (r.experiment !== GATEWAY_DEFAULT && r.createdAt < at)) out.set(r.experiment, r.createdAt)
      }
      const last = runs[runs.length - 1]
      if (runs.length < 1000 || last === undefined) return out
      after = { createdAt: last.createdAt, id: last.id }
    }
  }
}

export const experimentOut = (name: string, createdAt: number) => ({
  experiment_id: experimentId(name),
  name: mlflowName(name),
  artifact_location: `mlflow-artifacts:/${experimentId(name)}`,
  lifecycle_stage: 'active',
  last_update_time: createdAt,
  creation_time: createdAt
})

const noExperimentId = (id: string): MlflowError => new MlflowError('RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${id} exists`)

/** The gateway experiment an MLflow experiment id names, or RESOURCE_DOES_NOT_EXIST. */
export function experimentOf (id: string): string {
  const name = experimentOfId(id)
  if (name === undefined) throw noExperimentId(id)
  return name
}

export function registerExperiments (app: FastifyInstance, rpc: RpcRegistrar, book: ExperimentBook): void {
  const query = (r: FastifyRequest): Fields => r.query as Fields

  rpc('GET', 'experiments/get-by-name', 'read', async (request) => {
    const wanted = requiredString(query(request), 'experiment_name')
    const name = gatewayName(wanted)
    const at = await book.exists(app.projectOf(request), name)
    if (at === undefined) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${wanted}'`)
    return { experiment: experimentOut(name, at) }
  })

  rpc('GET', 'experiments/get', 'read', async (request) => {
    const id = requiredString(query(request), 'experiment_id')
    const name = experimentOf(id)
    const at = await book.exists(app.projectOf(request), name)
    if (at === undefined) throw noExperimentId(id)
    return { experiment: experimentOut(name, at) }
  })

  rpc('POST', 'experiments/create', 'write', async (request) => {
    const wanted = requiredString(fields(request.body), 'name')
    if (wanted.length > MAX_EXPERIMENT_NAME) throw invalid(`Experiment name '${wanted.slice(0, 300)}' exceeds the maximum length of ${MAX_EXPERIMENT_NAME} characters`)
    const projectId = app.projectOf(request)
    const name = gatewayName(wanted)
    if (await book.exists(projectId, name) !== undefined) throw new MlflowError('RESOURCE_ALREADY_EXISTS', `Experiment(name=${wanted}) already exists.`)
    book.create(projectId, name, Date.now())
    return { experiment_id: experimentId(name) }
  })

  const search = async (request: FastifyRequest, f: Fields) => {
    const clauses = parseFilter(optString(f, 'filter'), ['name'])
    const max = optInt64(f, 'max_results') ?? 1000
    if (max < 1 || max > 50000) throw invalid(`Invalid value ${max} for parameter 'max_results' supplied: it must be between 1 and 50000`)
    const offset = decodeToken(optString(f, 'page_token'), ['o'])?.o ?? 0
    const all = [...(await book.all(app.projectOf(request))).entries()]
      .map(([name, at]) => experimentOut(name, at))
      .filter(e => clauses.every(c => matches(c, c.type === 'attribute' ? e.name : undefined)))
      .sort((a, b) => b.creation_time - a.creation_time || (a.name < b.name ? -1 : 1))
    const page = all.slice(offset, offset + max)
    return { experiments: page, ...(offset + max < all.length ? { next_page_token: encodeToken({ o: offset + max }) } : {}) }
  }
  rpc('POST', 'experiments/search', 'read', async (request) => await search(request, fields(request.body)))
  rpc('GET', 'experiments/search', 'read', async (request) => await search(request, query(request)))
}
