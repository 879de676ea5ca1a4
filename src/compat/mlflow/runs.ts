import type { FastifyInstance } from 'fastify'
import { hashSecret, newId, newSecret } from '../../util/ids.js'
import { checkParamsAndTags } from '../../ingest/validate-batch.js'
import { SinkNotConfigured, UnknownSink } from '../../errors.js'
import type { Run } from '../../store/store.js'
import { invalid } from './errors.js'
import { experimentOf, type ExperimentBook } from './experiments.js'
import { checkKey, truncateTag } from './append.js'
import { projectRun, type RpcRegistrar } from './logging.js'
import { fields, keyValues, optArray, optInt64, optString, runIdOf, runInfo, runOut, statusOf, type Fields } from './wire.js'

/** A run as MLflow shows it: info, latest metric per key, params as strings, tags. */
export async function mlflowRun (app: FastifyInstance, run: Run) {
  const [latest, params] = await Promise.all([app.metricsView.latest(run.id), app.store.getParams(run.id)])
  return runOut(run, latest, params)
}

/** runs/create, runs/get, runs/update: an MLflow run is a gateway run, with the gateway's run id. */
export function registerRuns (app: FastifyInstance, rpc: RpcRegistrar, book: ExperimentBook): void {
  rpc('POST', 'runs/create', 'write', async (request) => {
    const projectId = app.projectOf(request)
    const b = fields(request.body)
    const experiment = experimentOf(optString(b, 'experiment_id') ?? '0')
    const tags = keyValues(optArray(b, 'tags'), 'tags')
    const runName = optString(b, 'run_name')
    const tagName = tags['mlflow.runName']
    if (runName !== undefined && runName !== '' && tagName !== undefined && tagName !== runName) {
      throw invalid(`Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${runName}', mlflow.runName='${tagName}').`)
    }
    const id = newId()
    const name = (runName !== undefined && runName !== '' ? runName : tagName) ?? `run-${id.slice(0, 8)}`
    tags['mlflow.runName'] = name
    const user = optString(b, 'user_id')
    if (tags['mlflow.user'] === undefined && user !== undefined && user !== '') tags['mlflow.user'] = user
    for (const [k, v] of Object.entries(tags)) { checkKey(k, 'tag'); tags[k] = truncateTag(v) }
    checkParamsAndTags({}, tags)
    // Nested runs (`mlflow.start_run(nested=True)`): the parent becomes the gateway run's parent, when it is ours.
    const parentId = tags['mlflow.parentRunId']
    const parent = parentId === undefined ? undefined : await app.store.getRun(parentId)
    const sinks = app.config.defaultSinks
    for (const s of sinks) {
      if (!app.sinks.has(s)) throw new UnknownSink(s, [...app.sinks.keys()].join(', '))
      if (!await app.sinkTargets.available(projectId, s)) throw new SinkNotConfigured(s, s)
    }
    const run = await app.store.createRun({
      id,
      projectId,
      name,
      experiment,
      tags,
      params: {},
      // The MLflow client authenticates with the project key; the run's own token is never handed out.
      tokenHash: hashSecret(newSecret('tgr')),
      sinks,
      jobName: null,
      parentRunId: parent !== undefined && parent.projectId === projectId ? parent.id : null,
      createdAt: optInt64(b, 'start_time') ?? Date.now()
    })
    book.create(projectId, experiment, run.createdAt)
    app.dispatcher.notify([run.id])
    request.log.info({ runId: run.id, sinks, via: 'mlflow' }, 'run created')
    return { run: await mlflowRun(app, run) }
  })

  rpc('GET', 'runs/get', 'read', async (request) => {
    const run = await projectRun(app, request, runIdOf(request.query as Fields))
    return { run: await mlflowRun(app, run) }
  })

  rpc('POST', 'runs/update', 'write', async (request) => {
    const b = fields(request.body)
    let run = await projectRun(app, request, runIdOf(b))
    const status = statusOf(b.status)
    // RUNNING/SCHEDULED (a resumed run) cannot reopen a gateway run: the log of an ended run is closed.
    if (status === 'FINISHED' || status === 'FAILED' || status === 'KILLED') {
      const { run: after, changed } = await app.store.finishRun(run.id, status, optInt64(b, 'end_time') ?? Date.now())
      if (changed) {
        app.dispatcher.notify([run.id])
        request.log.info({ runId: run.id, status, via: 'mlflow' }, 'run finished')
      }
      run = after
    }
    return { run_info: runInfo(run) }
  })
}
