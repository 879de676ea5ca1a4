import type { SinkRun } from '../sink.js'
import { encodeConfig, wandbRunName, wandbTags } from './encode.js'
import type { RemoteRun, WandbState } from './state.js'

/** The mutation text as the Go, Python and JS clients send it (reference §2.1). */
export const UPSERT_BUCKET = `mutation UpsertBucket($id: String, $name: String, $project: String, $entity: String, $groupName: String, $description: String, $displayName: String, $notes: String, $commit: String, $config: JSONString, $host: String, $debug: Boolean, $program: String, $repo: String, $jobType: String, $state: String, $sweep: String, $tags: [String!], $summaryMetrics: JSONString) {
  upsertBucket(input: { id: $id, name: $name, groupName: $groupName, modelName: $project, entityName: $entity, description: $description, displayName: $displayName, notes: $notes, config: $config, commit: $commit, host: $host, debug: $debug, jobProgram: $program, jobRepo: $repo, jobType: $jobType, state: $state, sweep: $sweep, tags: $tags, summaryMetrics: $summaryMetrics }) {
    bucket { id name displayName description config sweepName project { id name entity { id name } } historyLineCount }
    inserted
  }
}`

export const VIEWER = 'query Viewer{ viewer { id entity username email flags teams { edges { node { name } } } } }'

export interface UpsertAnswer {
  upsertBucket: {
    bucket: { id: string, name: string, historyLineCount?: number, project: { name: string, entity: { name: string } } }
    inserted: boolean
  } | null
}

/** What the run's metadata should be now: config from params, tags from the run and tag records. */
export function desiredMeta (run: SinkRun, s: WandbState): { config: string, tags: string[] } {
  return { config: encodeConfig(s.params), tags: wandbTags({ ...run.tags, ...s.tags }) }
}

/**
 * Variables for upsertBucket. Creation sends every field we own; later updates send only what
 * changed and `null` for the rest, which W&B reads as "leave unchanged" (so tags or a display
 * name edited in the UI survive a config update, as in Go's `runupserter`).
 */
export function upsertVariables (run: SinkRun, s: WandbState, project: string, entity: string | null): Record<string, unknown> {
  const meta = desiredMeta(run, s)
  const creating = s.remote === null
  const sameTags = s.sentTags !== null && s.sentTags.join('\n') === meta.tags.join('\n')
  return {
    id: s.remote?.storageId ?? null,
    name: s.remote?.name ?? wandbRunName(run.id),
    project: s.remote?.project ?? project,
    entity: s.remote?.entity ?? entity,
    // A tuning job's trials share its group; job_type tells the search's own run from its trials.
    groupName: creating ? run.group ?? run.experiment : null,
    description: null,
    displayName: creating ? run.name : null,
    notes: creating && run.jobName !== null ? `SageMaker training job ${run.jobName}` : null,
    commit: null,
    config: creating || s.sentConfig !== meta.config ? meta.config : null,
    host: null,
    debug: null,
    program: null,
    repo: null,
    jobType: creating ? (run.parentRunId !== null ? 'trial' : run.group !== null ? 'tuning' : 'train') : null,
    state: null,
    sweep: null,
    tags: creating || !sameTags ? meta.tags : null,
    summaryMetrics: null
  }
}

export function metaDirty (run: SinkRun, s: WandbState): boolean {
  const meta = desiredMeta(run, s)
  return s.remote === null || s.sentConfig !== meta.config || s.sentTags?.join('\n') !== meta.tags.join('\n')
}

/** The canonical names to use in the file_stream URL come from the answer (reference §2.4). */
export function remoteFrom (answer: UpsertAnswer): { remote: RemoteRun, inserted: boolean } | undefined {
  const result = answer.upsertBucket
  if (result === null || result === undefined) return undefined
  const b = result.bucket
  return {
    remote: { storageId: b.id, name: b.name, project: b.project.name, entity: b.project.entity.name },
    inserted: result.inserted
  }
}
