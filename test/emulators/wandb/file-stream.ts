import { parseExtendedJson } from './extended-json.js'
import type { EmuRun, WandbModel } from './model.js'

export interface StreamAnswer { status: number, body: unknown }

const LINE_FILES = new Set(['wandb-history.jsonl', 'wandb-events.jsonl', 'wandb-summary.json'])

/**
 * One file_stream request against a run: validate everything first (a bad request changes
 * nothing), then put the lines, then `complete`. Every request also counts as a heartbeat.
 */
export function handleFileStream (model: WandbModel, run: EmuRun, raw: unknown, now: number): StreamAnswer {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return bad('body must be a JSON object')
  const body = raw as { files?: unknown, complete?: unknown, exitcode?: unknown }
  const files = body.files ?? {}
  if (files === null || typeof files !== 'object') return bad('files must be an object')
  const puts: Array<{ name: string, offset: number, content: string[] }> = []
  for (const [name, chunk] of Object.entries(files as Record<string, unknown>)) {
    const c = chunk as { offset?: unknown, content?: unknown }
    if (!Number.isInteger(c?.offset) || (c.offset as number) < 0) return bad(`${name}: offset must be an integer ≥ 0`)
    if (!Array.isArray(c.content) || !c.content.every((l) => typeof l === 'string')) return bad(`${name}: content must be an array of strings`)
    if (LINE_FILES.has(name)) {
      for (const line of c.content as string[]) {
        try {
          const value = parseExtendedJson(line)
          if (value === null || typeof value !== 'object' || Array.isArray(value)) return bad(`${name}: each line must be a JSON object`)
        } catch (err) {
          return bad(`${name}: ${(err as Error).message}`)
        }
      }
    }
    puts.push({ name, offset: c.offset as number, content: c.content as string[] })
  }
  if (body.complete === true && body.exitcode !== undefined && body.exitcode !== null && !Number.isInteger(body.exitcode)) return bad('exitcode must be an integer')
  for (const p of puts) model.putLines(run, p.name, p.offset, p.content, now)
  run.lastSeen = now
  if (run.state === 'crashed') run.state = 'running'
  if (body.complete === true) model.complete(run, typeof body.exitcode === 'number' ? body.exitcode : 0)
  return { status: 200, body: { exitcode: null, limits: {}, stopped: run.stopped } }
}

function bad (message: string): StreamAnswer {
  return { status: 400, body: { error: message } }
}
