import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { FaultPlan, type Fault, type Held, type Match, type RequestInfo, type Step } from './faults.js'
import { handleFileStream } from './file-stream.js'
import { handleGraphql } from './graphql.js'
import { WandbModel } from './model.js'
import { RateWindow } from './rate-limit.js'
import { runView, type RunView } from './view.js'

export interface WandbEmulatorOptions {
  /** Accepted API keys (Basic auth user `api`); a 40-hex-digit key by default. */
  apiKeys?: string[]
  /** The keys' default entity (`viewer.entity`) and the teams they may also write to. */
  entity?: string
  teams?: string[]
  /** Added before every answer. */
  latencyMs?: number
  /** Bodies above this get 413 (W&B's exact limit is unpublished; ~10 MiB clients). */
  maxBodyBytes?: number
  /** Per-second limits (reference §6); `false` turns them off. */
  limits?: { runRequests?: number, projectRequests?: number, projectCreates?: number } | false
  /** How late `historyLineCount` catches up (2–4 s on SaaS). */
  historyLagMs?: number
  /** Running runs without a request for this long become crashed (W&B: 5 min). */
  staleRunMs?: number
  /** Keep parsed request bodies in `requests` (off for benchmarks). */
  recordBodies?: boolean
}

export interface ReceivedRequest {
  at: number
  route: 'graphql' | 'file_stream' | 'other'
  op: string | undefined
  run: string | undefined
  status: number
  bytes: number
  body?: unknown
}

export const DEFAULT_API_KEY = '0123456789abcdef0123456789abcdef01234567'

export async function startWandbEmulator (opts: WandbEmulatorOptions = {}) {
  const keys = new Set(opts.apiKeys ?? [DEFAULT_API_KEY])
  const entity = opts.entity ?? 'ml-team'
  const teams = opts.teams ?? []
  const maxBody = opts.maxBodyBytes ?? 16 * 1024 * 1024
  const limits = opts.limits === false ? undefined : { runRequests: 2, projectRequests: 500, projectCreates: 80, ...opts.limits }
  const model = new WandbModel()
  const plan = new FaultPlan()
  const windows = new RateWindow()
  const requests: ReceivedRequest[] = []
  const sweep = opts.staleRunMs === undefined ? undefined : setInterval(() => model.sweep(Date.now(), opts.staleRunMs as number), Math.min(1000, opts.staleRunMs)).unref()

  const authorised = (req: IncomingMessage): boolean => {
    const m = /^Basic (.+)$/.exec(req.headers.authorization ?? '')
    if (m === null) return false
    const decoded = Buffer.from(m[1] as string, 'base64').toString()
    const colon = decoded.indexOf(':')
    return colon >= 0 && decoded.slice(0, colon) === 'api' && keys.has(decoded.slice(colon + 1))
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, { error: String(err) })
    })
  })

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    let bytes = 0
    for await (const chunk of req) {
      bytes += (chunk as Buffer).length
      if (bytes <= maxBody) chunks.push(chunk as Buffer)
    }
    const now = Date.now()
    const url = new URL(req.url ?? '/', 'http://x')
    if (req.method === 'GET' && url.pathname === '/_emulator/stats') return send(res, 200, stats())
    const fs = /^\/files\/([^/]+)\/([^/]+)\/([^/]+)\/file_stream$/.exec(url.pathname)
    const route = req.method === 'POST' && url.pathname === '/graphql' ? 'graphql' : req.method === 'POST' && fs !== null ? 'file_stream' : 'other'
    const rec: ReceivedRequest = { at: now, route, op: undefined, run: fs !== null ? decodeURIComponent(fs[3] as string) : undefined, status: 0, bytes }
    requests.push(rec)
    const reply = async (status: number, body: unknown, headers: Record<string, string> = {}): Promise<void> => {
      rec.status = status
      if (opts.latencyMs !== undefined) await sleep(opts.latencyMs)
      send(res, status, body, headers)
    }
    if (route === 'other') return reply(404, { error: 'not found' })
    if (!authorised(req)) return reply(401, { errors: [{ message: 'user is not logged in' }] })
    if (bytes > maxBody) return reply(413, { error: 'request entity too large' })
    let body: unknown
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    } catch {
      return reply(400, { error: 'body is not JSON' })
    }
    if (opts.recordBodies !== false) rec.body = body
    if (route === 'graphql') {
      const b = body as { operationName?: unknown, variables?: { name?: unknown } }
      rec.op = typeof b.operationName === 'string' ? b.operationName : undefined
      if (typeof b.variables?.name === 'string') rec.run = b.variables.name
    }
    const info: RequestInfo = { route, run: rec.run, op: rec.op }
    const f: Fault | undefined = plan.next(info, now)
    if (f?.kind === 'reset') {
      rec.status = -1
      res.socket?.destroy()
      return
    }
    if (f?.kind === 'status') {
      const headers: Record<string, string> = {}
      if (f.retryAfter !== undefined) headers['retry-after'] = f.retryAfter
      if (f.rateLimit !== undefined) Object.assign(headers, rateHeaders(f.rateLimit.remaining, f.rateLimit.reset, f.rateLimit.limit))
      return reply(f.status, f.body ?? { error: `scripted ${f.status}` }, headers)
    }
    if (f?.kind === 'delay') await sleep(f.ms)
    const answer = route === 'graphql' ? graphql(body as object) : fileStream(fs as RegExpExecArray, body, Date.now())
    const held = answer.status < 300 ? plan.takeHold(info, body) : undefined
    if (held !== undefined && (await held) === 'drop') {
      rec.status = -1
      res.socket?.destroy()
      return
    }
    return reply(answer.status, answer.body, answer.headers)
  }

  function graphql (body: object) {
    const now = Date.now()
    const answer = handleGraphql(body, {
      model,
      entity,
      teams,
      now,
      historyLagMs: opts.historyLagMs ?? 0,
      allowCreate: (e, p) => {
        if (limits === undefined) return undefined
        const w = windows.hit(`create:${e}/${p}`, limits.projectCreates, now)
        return w.allowed ? undefined : { ...rateHeaders(w.remaining, w.resetSec, 1000), 'retry-after': String(Math.max(1, w.resetSec)) }
      }
    })
    return { ...answer, headers: answer.headers ?? {} }
  }

  function fileStream (m: RegExpExecArray, body: unknown, now: number): { status: number, body: unknown, headers: Record<string, string> } {
    const [e, p, r] = [m[1], m[2], m[3]].map((s) => decodeURIComponent(s as string)) as [string, string, string]
    const run = model.runs.get(WandbModel.key(e, p, r))
    if (run === undefined) return { status: 404, body: { error: `run ${e}/${p}/${r} not found` }, headers: {} }
    let headers: Record<string, string> = {}
    if (limits !== undefined) {
      const perRun = windows.hit(`run:${e}/${p}/${r}`, limits.runRequests, now)
      const perProject = perRun.allowed ? windows.hit(`project:${e}/${p}`, limits.projectRequests, now) : perRun
      // The tighter of the two windows is what the client is told about.
      const tight = perRun.remaining <= perProject.remaining ? perRun : perProject
      headers = rateHeaders(tight.remaining, tight.resetSec, 1000)
      if (!perRun.allowed || !perProject.allowed) {
        return { status: 429, body: { error: 'Filestream rate limit exceeded' }, headers: { ...headers, 'retry-after': String(Math.max(1, tight.resetSec)) } }
      }
    }
    const answer = handleFileStream(model, run, body, now)
    return { ...answer, headers }
  }

  function stats () {
    const perRun = new Map<string, number[]>()
    for (const r of requests) if (r.route === 'file_stream' && r.run !== undefined) perRun.set(r.run, [...(perRun.get(r.run) ?? []), r.at])
    let maxInSecond = 0
    for (const times of perRun.values()) {
      for (let i = 0, j = 0; i < times.length; i++) {
        while ((times[i] as number) - (times[j] as number) >= 1000) j++
        maxInSecond = Math.max(maxInSecond, i - j + 1)
      }
    }
    const fileStream = requests.filter((r) => r.route === 'file_stream')
    return {
      requests: requests.length,
      fileStreamRequests: fileStream.length,
      throttled: requests.filter((r) => r.status === 429).length,
      maxRunRequestsInAnySecond: maxInSecond,
      runs: model.runs.size,
      historyLines: [...model.runs.values()].reduce((n, run) => n + (run.files.get('wandb-history.jsonl')?.length ?? 0), 0),
      violations: model.violations.length
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const find = (name: string, where: { entity?: string, project?: string } = {}) =>
    [...model.runs.values()].find((r) => r.name === name && (where.entity === undefined || r.entity === where.entity) && (where.project === undefined || r.project === where.project))

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey: [...keys][0] as string,
    entity,
    /** Every request received, in arrival order (status -1: connection destroyed). */
    requests,
    /** Queue one-shot faults; each is used by the first request it matches. */
    script: (...steps: Step[]) => plan.script(...steps),
    /** Every matching request gets `f` for the next `ms` milliseconds. */
    outage: (ms: number, f?: Fault, match?: Match) => plan.outage(ms, f, match),
    /** Apply the next matching request, then hold its answer until `release()` or `drop()`. */
    hold: (match: Match = {}): Held => plan.hold(match),
    scriptedLeft: () => plan.pending(),
    setStopped: (name: string, stopped = true, where?: { entity?: string, project?: string }) => {
      const run = find(name, where)
      if (run !== undefined) run.stopped = stopped
    },
    deleteRun: (name: string, where?: { entity?: string, project?: string }) => {
      const run = find(name, where)
      if (run !== undefined) model.runs.delete(WandbModel.key(run.entity, run.project, run.name))
    },
    run: (name: string, where?: { entity?: string, project?: string }): RunView | undefined => {
      const run = find(name, where)
      return run === undefined ? undefined : runView(model, run)
    },
    runs: (): RunView[] => [...model.runs.values()].map((r) => runView(model, r)),
    projects: () => [...model.projects],
    violations: () => [...model.violations],
    stats,
    close: async () => {
      if (sweep !== undefined) clearInterval(sweep)
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

export type WandbEmulator = Awaited<ReturnType<typeof startWandbEmulator>>

function rateHeaders (remaining: number, reset: number, limit: number): Record<string, string> {
  return { 'ratelimit-limit': String(limit), 'ratelimit-remaining': String(remaining), 'ratelimit-reset': String(reset) }
}

function send (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers })
  res.end(text)
}
