import { randomBytes } from 'node:crypto'
import { parseExtendedJson, type ExtValue } from './extended-json.js'

export type RunState = 'running' | 'finished' | 'failed' | 'crashed'

export interface EmuRun {
  storageId: string
  entity: string
  project: string
  name: string
  displayName: string
  group: string | null
  jobType: string | null
  notes: string | null
  tags: string[]
  /** The config JSONString as last upserted. */
  config: string
  /** Per file, lines by offset (holes are gaps). */
  files: Map<string, Array<string | undefined>>
  state: RunState
  exitcode: number | null
  stopped: boolean
  lastSeen: number
  /** When each history line count became visible (the server's counts lag, reference §2.7). */
  countsAt: Array<{ at: number, history: number }>
}

export class GraphqlError extends Error {}

const FORBIDDEN_RUN = /[:;,#?/']/
const FORBIDDEN_PROJECT = /[/\\#?%:]/
const ADJECTIVES = ['lovely', 'bright', 'quiet', 'brisk', 'misty']
const NOUNS = ['dawn', 'river', 'forest', 'comet', 'meadow']

/** Runs, projects and the rules W&B applies to them, independent of HTTP. */
export class WandbModel {
  readonly runs = new Map<string, EmuRun>()
  readonly projects = new Set<string>()
  /** Protocol rules a client broke (gaps, decreasing steps, rows after complete); tests assert none. */
  readonly violations: string[] = []
  private serial = 0

  static key (entity: string, project: string, name: string): string {
    return `${entity}/${project}/${name}`
  }

  byStorageId (id: string): EmuRun | undefined {
    for (const run of this.runs.values()) if (run.storageId === id) return run
    return undefined
  }

  /**
   * upsertBucket: find by storage id, else by (entity, project, name); create the project and the
   * run implicitly; `null` (or absent) leaves a field unchanged. Returns the run and `inserted`.
   */
  upsert (v: Record<string, unknown>, defaultEntity: string, now: number): { run: EmuRun, inserted: boolean } {
    const str = (k: string): string | null => (typeof v[k] === 'string' ? v[k] as string : null)
    const id = str('id')
    let run = id !== null ? this.byStorageId(id) : undefined
    if (id !== null && run === undefined) throw new GraphqlError(`run with id ${id} not found`)
    const entity = run?.entity ?? str('entity') ?? defaultEntity
    const project = run?.project ?? str('project') ?? 'uncategorized'
    if (project.length > 128 || FORBIDDEN_PROJECT.test(project)) throw new GraphqlError(`invalid project name ${JSON.stringify(project)}`)
    const name = run?.name ?? str('name') ?? randomBytes(4).toString('hex')
    if (name.trim() !== name || name === '' || FORBIDDEN_RUN.test(name)) throw new GraphqlError(`invalid run name ${JSON.stringify(name)}`)
    const config = str('config')
    if (config !== null) {
      const parsed = parseExtendedJson(config)
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new GraphqlError('config must be a JSON object')
    }
    run ??= this.runs.get(WandbModel.key(entity, project, name))
    const inserted = run === undefined
    if (run === undefined) {
      this.projects.add(`${entity}/${project}`)
      const n = ++this.serial
      run = {
        storageId: Buffer.from(`Run:v1:${name}:${project}:${entity}`).toString('base64'),
        entity,
        project,
        name,
        displayName: `${ADJECTIVES[n % 5]}-${NOUNS[Math.floor(n / 5) % 5]}-${n}`,
        group: null,
        jobType: null,
        notes: null,
        tags: [],
        config: '{}',
        files: new Map(),
        state: 'running',
        exitcode: null,
        stopped: false,
        lastSeen: now,
        countsAt: [{ at: now, history: 0 }]
      }
      this.runs.set(WandbModel.key(entity, project, name), run)
    }
    if (str('displayName') !== null) run.displayName = str('displayName') as string
    if (str('groupName') !== null) run.group = str('groupName')
    if (str('jobType') !== null) run.jobType = str('jobType')
    if (str('notes') !== null) run.notes = str('notes')
    if (config !== null) run.config = config
    if (Array.isArray(v.tags)) run.tags = (v.tags as unknown[]).map(String)
    if (str('state') !== null) run.state = str('state') as RunState
    return { run, inserted }
  }

  /** Put-line semantics: line `offset + i` becomes `content[i]`; rewriting replaces. */
  putLines (run: EmuRun, file: string, offset: number, content: string[], now: number): void {
    const lines = run.files.get(file) ?? []
    run.files.set(file, lines)
    if (file !== 'wandb-summary.json' && offset > lines.length) this.violations.push(`${run.name}: ${file} gap: offset ${offset} > ${lines.length} lines`)
    if (file === 'wandb-history.jsonl' && run.exitcode !== null) this.violations.push(`${run.name}: history written after complete`)
    content.forEach((line, i) => { lines[offset + i] = line })
    if (file === 'wandb-history.jsonl') run.countsAt.push({ at: now, history: lines.length })
  }

  complete (run: EmuRun, exitcode: number): void {
    const history = run.files.get('wandb-history.jsonl') ?? []
    if (history.some((line) => line === undefined)) this.violations.push(`${run.name}: complete with gaps in history`)
    run.exitcode = exitcode
    run.state = exitcode === 0 ? 'finished' : 'failed'
  }

  /** The run's history rows by offset, checking that `_step` increases (W&B drops decreasing steps). */
  history (run: EmuRun): Array<Record<string, ExtValue> | undefined> {
    let last = -Infinity
    return (run.files.get('wandb-history.jsonl') ?? []).map((line) => {
      if (line === undefined) return undefined
      const row = parseExtendedJson(line) as Record<string, ExtValue>
      const step = row._step as number
      if (step <= last) this.violations.push(`${run.name}: _step ${step} after ${last}`)
      last = step
      return row
    })
  }

  /** `historyLineCount` as the server would report it, `lagMs` late. */
  historyLineCount (run: EmuRun, now: number, lagMs: number): number {
    let count = 0
    for (const c of run.countsAt) if (c.at <= now - lagMs) count = c.history
    return count
  }

  /** The stale-run sweep: running runs without a request for `staleMs` become crashed. */
  sweep (now: number, staleMs: number): void {
    for (const run of this.runs.values()) if (run.state === 'running' && now - run.lastSeen > staleMs) run.state = 'crashed'
  }
}
