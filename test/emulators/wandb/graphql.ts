import { parseExtendedJson } from './extended-json.js'
import { GraphqlError, WandbModel, type EmuRun } from './model.js'

export interface GraphqlContext {
  model: WandbModel
  entity: string
  teams: string[]
  now: number
  historyLagMs: number
  /** Counts a run creation against the project's limit; the 429 headers when over it. */
  allowCreate: (entity: string, project: string) => Record<string, string> | undefined
}

export interface GraphqlAnswer { status: number, body: unknown, headers?: Record<string, string> }

function bucketJson (run: EmuRun, ctx: GraphqlContext): Record<string, unknown> {
  return {
    id: run.storageId,
    name: run.name,
    displayName: run.displayName,
    description: null,
    config: run.config,
    sweepName: null,
    project: { id: Buffer.from(`Project:${run.entity}/${run.project}`).toString('base64'), name: run.project, entity: { id: Buffer.from(`Entity:${run.entity}`).toString('base64'), name: run.entity } },
    historyLineCount: ctx.model.historyLineCount(run, ctx.now, ctx.historyLagMs)
  }
}

/**
 * The three operations the clients use, recognised by their root field like a GraphQL server
 * would: `viewer`, `upsertBucket`, `model { bucket }` (RunResumeStatus). Errors are HTTP 200
 * with `errors`, as W&B answers them (reference §1.3).
 */
export function handleGraphql (body: { query?: unknown, variables?: unknown }, ctx: GraphqlContext): GraphqlAnswer {
  const query = typeof body.query === 'string' ? body.query : ''
  const vars = (body.variables ?? {}) as Record<string, unknown>
  try {
    if (/\bupsertBucket\s*\(/.test(query)) return upsert(vars, ctx)
    if (/\bviewer\b/.test(query)) {
      return { status: 200, body: { data: { viewer: { id: Buffer.from(`User:${ctx.entity}`).toString('base64'), entity: ctx.entity, username: ctx.entity, email: `${ctx.entity}@example.com`, flags: '{}', teams: { edges: ctx.teams.map((name) => ({ node: { name } })) } } } } }
    }
    if (/\bmodel\s*\(/.test(query)) return resumeStatus(vars, ctx)
    return { status: 400, body: { errors: [{ message: 'Cannot query this field on type "Query"' }] } }
  } catch (err) {
    if (err instanceof GraphqlError || err instanceof SyntaxError) {
      return { status: 200, body: { errors: [{ message: err.message, path: ['upsertBucket'] }], data: { upsertBucket: null } } }
    }
    throw err
  }
}

function upsert (vars: Record<string, unknown>, ctx: GraphqlContext): GraphqlAnswer {
  const entity = typeof vars.entity === 'string' ? vars.entity : ctx.entity
  if (entity !== ctx.entity && !ctx.teams.includes(entity)) throw new GraphqlError(`permission denied: cannot write to entity ${entity}`)
  const project = typeof vars.project === 'string' ? vars.project : 'uncategorized'
  const existing = typeof vars.id === 'string' || (typeof vars.name === 'string' && ctx.model.runs.has(WandbModel.key(entity, project, vars.name)))
  const refused = existing ? undefined : ctx.allowCreate(entity, project)
  if (refused !== undefined) return { status: 429, body: { errors: [{ message: 'run creation rate limit exceeded' }] }, headers: refused }
  const { run, inserted } = ctx.model.upsert(vars, ctx.entity, ctx.now)
  return { status: 200, body: { data: { upsertBucket: { bucket: bucketJson(run, ctx), inserted } } } }
}

function resumeStatus (vars: Record<string, unknown>, ctx: GraphqlContext): GraphqlAnswer {
  const entity = typeof vars.entity === 'string' ? vars.entity : ctx.entity
  const project = String(vars.project ?? 'uncategorized')
  if (!ctx.model.projects.has(`${entity}/${project}`)) return { status: 200, body: { data: { model: null } } }
  const run = ctx.model.runs.get(WandbModel.key(entity, project, String(vars.name)))
  const lines = (file: string): string[] => (run?.files.get(file) ?? []).filter((l): l is string => l !== undefined)
  const bucket = run === undefined
    ? null
    : {
        ...bucketJson(run, ctx),
        summaryMetrics: lines('wandb-summary.json').at(-1) ?? '{}',
        logLineCount: lines('output.log').length,
        eventsLineCount: lines('wandb-events.jsonl').length,
        // The tails are JSON strings holding a JSON array of line strings (reference §2.7).
        historyTail: JSON.stringify(lines('wandb-history.jsonl').slice(-10)),
        eventsTail: JSON.stringify(lines('wandb-events.jsonl').slice(-10)),
        tags: run.tags,
        notes: run.notes,
        wandbConfig: wandbConfig(run.config)
      }
  return { status: 200, body: { data: { model: { id: 'UHJvamVjdA==', name: project, entity: { id: 'RW50aXR5', name: entity }, bucket } } } }
}

/** `wandbConfig(keys: ["t"])`: resuming clients look for the `t` key (reference §2.3). */
function wandbConfig (config: string): string {
  const t = (parseExtendedJson(config) as { _wandb?: { value?: { t?: unknown } } })._wandb?.value?.t
  return JSON.stringify(t === undefined ? {} : { t })
}
