import { randomUUID } from 'node:crypto'
import { MlflowError, invalid, type RunStatus } from './validation.js'

export interface Experiment {
  experiment_id: string
  name: string
  artifact_location: string
  lifecycle_stage: 'active' | 'deleted'
  creation_time: number
  last_update_time: number
  tags: Map<string, string>
}

/** One stored row of the SQL store's `metrics` table (value already sanitised). */
export interface StoredPoint { key: string, value: number, isNan: boolean, timestamp: number, step: number }

export interface RunInfo {
  run_id: string
  experiment_id: string
  run_name: string
  user_id: string
  status: RunStatus
  start_time: number
  end_time?: number
  artifact_uri: string
  lifecycle_stage: 'active' | 'deleted'
}

export interface Run {
  info: RunInfo
  params: Map<string, string>
  tags: Map<string, string>
  /** Every point per key, in insertion order. */
  metrics: Map<string, StoredPoint[]>
  /** Primary keys of `metrics`: (key, timestamp, step, value, is_nan). */
  pks: Set<string>
}

export interface IncomingMetric { key: string, value: number, timestamp: number, step: number }

const pk = (p: StoredPoint): string => `${p.key}\u0000${p.timestamp}\u0000${p.step}\u0000${p.value}\u0000${p.isNan ? 1 : 0}`

/** `sanitize_metric_value`: NaN → 0 + is_nan, ±Inf → ±max double. */
export function sanitize (m: IncomingMetric): StoredPoint {
  if (Number.isNaN(m.value)) return { key: m.key, value: 0, isNan: true, timestamp: m.timestamp, step: m.step }
  const value = m.value === Infinity ? Number.MAX_VALUE : m.value === -Infinity ? -Number.MAX_VALUE : m.value
  return { key: m.key, value, isNan: false, timestamp: m.timestamp, step: m.step }
}

const ADJ = ['bright', 'calm', 'eager', 'bold', 'merry', 'quiet']
const NOUN = ['hare', 'owl', 'fox', 'carp', 'lynx', 'wren']

/** The in-memory tracking store, with the SQL store's semantics. */
export class MlflowState {
  readonly experiments = new Map<string, Experiment>()
  readonly runs = new Map<string, Run>()
  private nextExperimentId = 1

  constructor (private readonly now: () => number = Date.now) {
    this.experiments.set('0', this.newExperiment('0', 'Default'))
  }

  private newExperiment (id: string, name: string): Experiment {
    const t = this.now()
    return { experiment_id: id, name, artifact_location: `mlflow-artifacts:/${id}`, lifecycle_stage: 'active', creation_time: t, last_update_time: t, tags: new Map() }
  }

  experimentByName (name: string): Experiment | undefined {
    let found: Experiment | undefined
    for (const e of this.experiments.values()) {
      if (e.name === name && (found === undefined || e.lifecycle_stage === 'active')) found = e // prefers active
    }
    return found
  }

  createExperiment (name: string, tags: Array<{ key: string, value: string }>): Experiment {
    if (this.experimentByName(name) !== undefined) {
      throw new MlflowError('RESOURCE_ALREADY_EXISTS', `Experiment(name=${name}) already exists. Error: (sqlite3.IntegrityError) UNIQUE constraint failed: experiments.name`)
    }
    const e = this.newExperiment(String(this.nextExperimentId++), name)
    for (const t of tags) e.tags.set(t.key, t.value)
    this.experiments.set(e.experiment_id, e)
    return e
  }

  experiment (id: string): Experiment {
    const e = this.experiments.get(id)
    if (e === undefined) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${id} exists`)
    return e
  }

  createRun (experimentId: string, runName: string | undefined, startTime: number, userId: string, tags: Array<{ key: string, value: string }>): Run {
    const exp = this.experiment(experimentId)
    if (exp.lifecycle_stage !== 'active') {
      throw invalid(`The experiment ${experimentId} must be in the 'active' state. Current state is ${exp.lifecycle_stage}.`)
    }
    const tagMap = new Map(tags.map(t => [t.key, t.value]))
    const tagName = tagMap.get('mlflow.runName')
    if (runName !== undefined && tagName !== undefined && runName !== tagName) {
      throw invalid(`Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${runName}', mlflow.runName='${tagName}').`)
    }
    const name = runName ?? tagName ?? `${ADJ[this.runs.size % ADJ.length]}-${NOUN[(this.runs.size >> 2) % NOUN.length]}-${100 + this.runs.size}`
    tagMap.set('mlflow.runName', name)
    const runId = randomUUID().replace(/-/g, '')
    const run: Run = {
      info: { run_id: runId, experiment_id: experimentId, run_name: name, user_id: userId, status: 'RUNNING', start_time: startTime, artifact_uri: `${exp.artifact_location}/${runId}/artifacts`, lifecycle_stage: 'active' },
      params: new Map(),
      tags: tagMap,
      metrics: new Map(),
      pks: new Set()
    }
    this.runs.set(runId, run)
    return run
  }

  run (runId: string): Run {
    const r = this.runs.get(runId)
    if (r === undefined) throw new MlflowError('RESOURCE_DOES_NOT_EXIST', `Run with id=${runId} not found`)
    return r
  }

  activeRun (runId: string): Run {
    const r = this.run(runId)
    if (r.info.lifecycle_stage !== 'active') {
      throw invalid(`The run ${runId} must be in the 'active' state. Current state is ${r.info.lifecycle_stage}.`)
    }
    return r
  }

  /** `_log_params` (log-batch) / `log_param` (`single`): equal values are skipped, a changed value fails the whole call before writing. */
  logParams (run: Run, params: Array<{ key: string, value: string }>, single = false): void {
    const conflicts = params.filter(p => run.params.has(p.key) && run.params.get(p.key) !== p.value)
    if (single && conflicts[0] !== undefined) {
      const c = conflicts[0]
      throw invalid(`Changing param values is not allowed. Param with key='${c.key}' was already logged with value='${run.params.get(c.key) ?? ''}' for run ID='${run.info.run_id}'. Attempted logging new value '${c.value}'.`)
    }
    if (conflicts.length > 0) {
      const list = conflicts.map(c => `{'key': '${c.key}', 'old_value': '${run.params.get(c.key) ?? ''}', 'new_value': '${c.value}'}`).join(', ')
      throw invalid(`Changing param values is not allowed. Params were already logged='[${list}]' for run ID='${run.info.run_id}'.`)
    }
    for (const p of params) run.params.set(p.key, p.value)
  }

  /**
   * `_log_metrics`: identical finite points are dropped (in-request set, then the IntegrityError
   * recovery path). NaN never equals NaN in that path, so a NaN point already stored — or twice in
   * one request — fails the whole metrics part with 400 BAD_REQUEST, writing none of it (mlflow#26108).
   */
  logMetrics (run: Run, metrics: IncomingMetric[]): void {
    const batchPks = new Set<string>()
    const rows: StoredPoint[] = []
    let collision = false
    for (const m of metrics) {
      const p = sanitize(m)
      const id = pk(p)
      if (!p.isNan && (run.pks.has(id) || batchPks.has(id))) continue
      if (run.pks.has(id) || batchPks.has(id)) collision = true
      batchPks.add(id)
      rows.push(p)
    }
    if (collision) {
      throw new MlflowError('BAD_REQUEST', '(sqlite3.IntegrityError) UNIQUE constraint failed: metrics.key, metrics.timestamp, metrics.step, metrics.run_uuid, metrics.value, metrics.is_nan')
    }
    for (const p of rows) {
      run.pks.add(pk(p))
      const list = run.metrics.get(p.key)
      if (list === undefined) run.metrics.set(p.key, [p]); else list.push(p)
    }
  }

  /** Tags are upserts; the last write of a key in one request wins. */
  setTags (run: Run, tags: Array<{ key: string, value: string }>): void {
    for (const t of tags) {
      run.tags.set(t.key, t.value)
      if (t.key === 'mlflow.runName') run.info.run_name = t.value
    }
  }

  /** `latest_metrics`: per key the max of (step, timestamp, value). */
  latest (run: Run): StoredPoint[] {
    const out: StoredPoint[] = []
    for (const points of run.metrics.values()) {
      let best: StoredPoint | undefined
      for (const p of points) {
        if (best === undefined || p.step > best.step || (p.step === best.step && (p.timestamp > best.timestamp || (p.timestamp === best.timestamp && p.value > best.value)))) best = p
      }
      if (best !== undefined) out.push(best)
    }
    return out
  }

  /** get-history order in the SQL store: (timestamp, step, value). */
  history (runId: string, key: string): StoredPoint[] {
    const points = [...(this.run(runId).metrics.get(key) ?? [])]
    return points.sort((a, b) => a.timestamp - b.timestamp || a.step - b.step || a.value - b.value)
  }
}
