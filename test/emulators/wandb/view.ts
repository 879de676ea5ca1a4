import type { ExtValue } from './extended-json.js'
import { parseExtendedJson } from './extended-json.js'
import type { EmuRun, RunState, WandbModel } from './model.js'

/** What a test reads back about one run. */
export interface RunView {
  entity: string
  project: string
  name: string
  storageId: string
  displayName: string
  group: string | null
  jobType: string | null
  notes: string | null
  tags: string[]
  /** The config with the `{"value": …}` wrapping kept, as W&B stores it. */
  config: Record<string, ExtValue>
  state: RunState
  exitcode: number | null
  stopped: boolean
  /** History rows by offset; `undefined` marks a gap. */
  history: Array<Record<string, ExtValue> | undefined>
  /** The raw history lines by offset. */
  historyLines: Array<string | undefined>
  /** The summary: the last line of wandb-summary.json, parsed. */
  summary: Record<string, ExtValue> | undefined
}

export function runView (model: WandbModel, run: EmuRun): RunView {
  const summaryLines = (run.files.get('wandb-summary.json') ?? []).filter((l): l is string => l !== undefined)
  const last = summaryLines.at(-1)
  return {
    entity: run.entity,
    project: run.project,
    name: run.name,
    storageId: run.storageId,
    displayName: run.displayName,
    group: run.group,
    jobType: run.jobType,
    notes: run.notes,
    tags: [...run.tags],
    config: parseExtendedJson(run.config) as Record<string, ExtValue>,
    state: run.state,
    exitcode: run.exitcode,
    stopped: run.stopped,
    history: model.history(run),
    historyLines: [...(run.files.get('wandb-history.jsonl') ?? [])],
    summary: last === undefined ? undefined : parseExtendedJson(last) as Record<string, ExtValue>
  }
}
