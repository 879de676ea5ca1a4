import type { Test } from 'tap'
import type { AppendRequest, NewRun, Store } from '../../../src/store/store.js'
import type { JobStore } from '../../../src/store/job-store.js'
import type { TuningStore } from '../../../src/store/tuning-store.js'

/** The callback-token grace every backend under contract is opened with. */
export const GRACE_MS = 60_000
/** A fixed clock for the stored timestamps. */
export const T0 = 1_700_000_000_000

/** One opened backend: the three interfaces on one file or database. */
export interface Backend {
  store: Store
  jobs: JobStore
  tunings: TuningStore
  /** Closes the store (the jobs and tuning stores share its connection); a second call does nothing. */
  close (): Promise<void>
}

/** Where a backend keeps its data (a file, a database): opened again, it finds what was written. */
export interface Place {
  open (): Promise<Backend>
  /** The versions each migration history records (table → versions, in order), read apart from the store. */
  migrations (): Promise<Record<string, number[]>>
  /** The latest version of the histories this backend names. */
  latest: Record<string, number>
}

/** A new, empty place for one test (removed in that test's teardown). */
export type MakeStore = (t: Test) => Promise<Place>

/** A fresh place, opened, closed in teardown. */
export async function fresh (t: Test, makeStore: MakeStore): Promise<Backend & { place: Place }> {
  const place = await makeStore(t)
  const b = await place.open()
  t.teardown(() => b.close())
  return { ...b, place }
}

export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i)

export async function seedProject (store: Store, id = 'p1'): Promise<string> {
  await store.createProject({ id, name: `project ${id}`, createdAt: T0 })
  return id
}

export function newRun (projectId: string, id: string, over: Partial<NewRun> = {}): NewRun {
  return {
    id,
    projectId,
    name: `run ${id}`,
    experiment: 'seg',
    tags: {},
    params: {},
    tokenHash: `token-${id}`,
    sinks: ['mlflow', 'tensorboard'],
    jobName: null,
    createdAt: T0,
    ...over
  }
}

/** A project and one running run in it (sinks mlflow and tensorboard); the run's id. */
export async function seedRun (store: Store, id = 'r1', over: Partial<NewRun> = {}): Promise<string> {
  const projectId = over.projectId ?? 'p1'
  if (await store.getProject(projectId) === undefined) await seedProject(store, projectId)
  await store.createRun(newRun(projectId, id, over))
  return id
}

/** An ingest request of one metric point (step = `step`), no params, no tags. */
export function req (runId: string, batchId: string, over: Partial<AppendRequest> = {}, step = 1): AppendRequest {
  return {
    runId,
    batchId,
    body: { t: 'batch', m: [['train/loss', 0.5, step, T0 + step]] },
    records: 1,
    params: {},
    tags: {},
    now: T0 + 1000,
    ...over
  }
}

/** The seq of an accepted append result, or a failure. */
export function seqOf (r: unknown): number {
  const res = r as { ok: boolean, seq?: number }
  if (!res.ok || res.seq === undefined) throw new Error(`append failed: ${JSON.stringify(r)}`)
  return res.seq
}

export const bySinkAndRun = <T extends { sink: string, runId: string }>(a: T, b: T): number =>
  a.sink === b.sink ? (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0) : a.sink < b.sink ? -1 : 1
