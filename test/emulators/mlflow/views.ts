import type { MlflowState, Run } from './store.js'

/** Plain snapshots of the emulator's store, for assertions. NaN comes back as NaN, ±Inf as ±max double. */
export interface RunView {
  runId: string
  experimentId: string
  name: string
  status: string
  startTime: number
  endTime: number | undefined
  lifecycleStage: 'active' | 'deleted'
  params: Record<string, string>
  tags: Record<string, string>
  /** Every stored point per key, in get-history order. */
  metrics: Record<string, Array<{ value: number, timestamp: number, step: number }>>
}

export interface MlflowViews {
  experiment (name: string): { id: string, name: string, lifecycleStage: string } | undefined
  runs (): RunView[]
  run (runId: string): RunView
  /** Soft-delete a run as `runs/delete` would (a user deleting it in the UI). */
  deleteRun (runId: string): void
  /** Total stored points across all runs. */
  pointCount (): number
}

export function createViews (state: MlflowState): MlflowViews {
  const view = (r: Run): RunView => {
    const metrics: RunView['metrics'] = {}
    for (const key of r.metrics.keys()) {
      metrics[key] = state.history(r.info.run_id, key).map(p => ({ value: p.isNan ? NaN : p.value, timestamp: p.timestamp, step: p.step }))
    }
    return {
      runId: r.info.run_id,
      experimentId: r.info.experiment_id,
      name: r.info.run_name,
      status: r.info.status,
      startTime: r.info.start_time,
      endTime: r.info.end_time,
      lifecycleStage: r.info.lifecycle_stage,
      params: Object.fromEntries(r.params),
      tags: Object.fromEntries(r.tags),
      metrics
    }
  }
  return {
    experiment: name => {
      const e = state.experimentByName(name)
      return e === undefined ? undefined : { id: e.experiment_id, name: e.name, lifecycleStage: e.lifecycle_stage }
    },
    runs: () => [...state.runs.values()].map(view),
    run: id => view(state.run(id)),
    deleteRun: id => { state.run(id).info.lifecycle_stage = 'deleted' },
    pointCount: () => { let n = 0; for (const r of state.runs.values()) for (const l of r.metrics.values()) n += l.length; return n }
  }
}
