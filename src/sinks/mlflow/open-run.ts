import type { SinkRun } from '../sink.js'
import { SinkError } from '../sink-error.js'
import { mlflowErrorOf, type MlflowClient } from './client.js'
import { truncateChars, LOG_BATCH_LIMITS } from './encode.js'

export interface MlflowRunRef { experimentId: string, runId: string }

/**
 * A deterministic tag on every run we create. The remote run id only becomes durable when the
 * dispatcher commits our state after `deliver` returns, so a crash right after `runs/create` would
 * otherwise make the next attempt create a second run; with this tag the next attempt finds it.
 */
export const RUN_ID_TAG = 'trackgate.run_id'
export const SOURCE_TAG_VALUE = 'trackgate'

interface WireExperiment { experiment_id: string, lifecycle_stage?: string }
interface WireRunInfo { run_id: string, experiment_id: string, lifecycle_stage?: string }

/** MLflow's key rule (`^[/\w.\- :]*$`, a normalised relative path, ≤ 250 chars). */
export function isValidMlflowKey (key: string): boolean {
  if (key === '' || key.length > 250 || !/^[\p{L}\p{N}_/.\- :]*$/u.test(key)) return false
  if (key.startsWith('/') || key.startsWith('..') || key.endsWith('/') || key.includes('//')) return false
  return !key.split('/').some(seg => seg === '.' || seg === '..')
}

export function createRunOpener (client: MlflowClient) {
  const experiments = new Map<string, Promise<string>>()
  // Runs opened by this process whose state may not be committed yet (the deliver failed later):
  // the retry reuses them without another search.
  const opened = new Map<string, MlflowRunRef>()

  async function getExperiment (name: string, signal: AbortSignal): Promise<WireExperiment | null> {
    try {
      const res = await client.get<{ experiment: WireExperiment }>('experiments/get-by-name', { experiment_name: name }, signal)
      return res.experiment
    } catch (err) {
      if (mlflowErrorOf(err)?.errorCode === 'RESOURCE_DOES_NOT_EXIST') return null
      throw err
    }
  }

  async function resolveExperiment (name: string, signal: AbortSignal): Promise<string> {
    let exp = await getExperiment(name, signal)
    if (exp === null) {
      try {
        const res = await client.post<{ experiment_id: string }>('experiments/create', { name }, signal)
        return String(res.experiment_id)
      } catch (err) {
        // Another replica or run created it between our get and create: MLflow answers 400, not 409.
        if (mlflowErrorOf(err)?.errorCode !== 'RESOURCE_ALREADY_EXISTS') throw err
      }
      exp = await getExperiment(name, signal)
      if (exp === null) throw new SinkError('TG_SINK_UNAVAILABLE', `experiment ${JSON.stringify(name)} exists but cannot be read yet`)
    }
    if (exp.lifecycle_stage === 'deleted') {
      throw new SinkError('TG_SINK_GONE', `MLflow experiment ${JSON.stringify(name)} is deleted; restore it or rename the run's experiment`)
    }
    return String(exp.experiment_id)
  }

  function experimentId (name: string, signal: AbortSignal): Promise<string> {
    let p = experiments.get(name)
    if (p === undefined) {
      p = resolveExperiment(name, signal)
      experiments.set(name, p)
      p.catch(() => experiments.delete(name))
    }
    return p
  }

  async function findExisting (experimentId: string, run: Pick<SinkRun, 'id'>, signal: AbortSignal): Promise<MlflowRunRef | null> {
    const filter = `tags.\`${RUN_ID_TAG}\` = '${run.id.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
    const res = await client.post<{ runs?: Array<{ info: WireRunInfo }> }>('runs/search', {
      experiment_ids: [experimentId], filter, run_view_type: 'ALL', max_results: 10, order_by: ['attributes.start_time ASC']
    }, signal)
    const found = res.runs ?? []
    const active = found.find(r => r.info.lifecycle_stage !== 'deleted')
    if (active !== undefined) return { experimentId, runId: active.info.run_id }
    if (found.length > 0) throw new SinkError('TG_SINK_GONE', `MLflow run for ${run.id} was deleted remotely`)
    return null
  }

  /**
   * A trial is a nested run: `mlflow.parentRunId` names the MLflow run of its search, which the
   * search run's own partition creates. Until it has, the trial waits (a transient failure, retried).
   */
  async function parentTag (expId: string, run: SinkRun, signal: AbortSignal): Promise<Record<string, string>> {
    if (run.parentRunId === null) return {}
    const parent = opened.get(run.parentRunId) ?? await findExisting(expId, { id: run.parentRunId }, signal)
    if (parent === null) throw new SinkError('TG_SINK_UNAVAILABLE', `parent_pending: the MLflow run of parent ${run.parentRunId} does not exist yet`)
    return { 'mlflow.parentRunId': parent.runId }
  }

  function createTags (run: SinkRun, extra: Record<string, string>): Array<{ key: string, value: string }> {
    const system: Record<string, string> = {
      ...extra,
      'mlflow.runName': run.name,
      'mlflow.source.name': SOURCE_TAG_VALUE,
      'mlflow.source.type': 'JOB',
      [RUN_ID_TAG]: run.id,
      'trackgate.project_id': run.projectId
    }
    if (run.jobName !== null) system['sagemaker.training_job_name'] = run.jobName
    const tags = { ...system }
    // User tags travel too, but one bad key must not make runs/create fail for the whole run.
    for (const [key, value] of Object.entries(run.tags)) {
      if (!(key in system) && isValidMlflowKey(key)) tags[key] = value
    }
    return Object.entries(tags).map(([key, value]) => ({ key, value: truncateChars(value, LOG_BATCH_LIMITS.tagValueChars) }))
  }

  return {
    async open (run: SinkRun, signal: AbortSignal): Promise<MlflowRunRef> {
      const memo = opened.get(run.id)
      if (memo !== undefined) return memo
      const expId = await experimentId(run.experiment === '' ? 'Default' : run.experiment, signal)
      let ref = await findExisting(expId, run, signal)
      if (ref === null) {
        const extra = await parentTag(expId, run, signal)
        const res = await client.post<{ run: { info: WireRunInfo } }>('runs/create', {
          experiment_id: expId, run_name: run.name, start_time: run.createdAt, tags: createTags(run, extra)
        }, signal)
        ref = { experimentId: expId, runId: res.run.info.run_id }
      }
      if (opened.size >= 10_000) opened.delete(opened.keys().next().value as string)
      opened.set(run.id, ref)
      return ref
    },
    forget (runId: string): void { opened.delete(runId) }
  }
}
