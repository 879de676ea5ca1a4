import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { ERROR_CODE_FOR_STATUS, createHold, type Fault, type Hold, type Step, type Window } from './faults.js'
import { handlers, type HandlerOptions } from './handlers.js'
import { sigv4Problem } from './sigv4.js'
import { MlflowState } from './store.js'
import { MlflowError } from './validation.js'
import { createViews, type MlflowViews } from './views.js'

export interface MlflowEmulatorOptions {
  auth?: {
    bearer?: string
    basic?: { username: string, password: string }
    /** SageMaker mode: every request must carry a SigV4 Authorization for this service/region and the ARN header. */
    sigv4?: { region: string, arn: string, service?: string, routingHeader?: string, secretAccessKey?: string }
  }
  truncateLongValues?: boolean
  maxBatchBytes?: number
  historyWithoutMaxResults?: 'all' | 'none'
  /** Added to every request (e.g. 5 ms for the bench). */
  latencyMs?: number
  /** Keep parsed bodies in `requests` (default true; the bench turns it off to save memory). */
  recordBodies?: boolean
  /** Server version reported by GET /version. */
  version?: string
}

export interface RecordedRequest {
  method: string
  path: string
  /** The RPC, e.g. 'runs/log-batch' ('' for non-RPC paths). */
  rpc: string
  query: Record<string, string | string[]>
  headers: Record<string, string | string[] | undefined>
  body: unknown
  rawBody: string
  /** HTTP status answered; undefined while pending or when the socket was reset. */
  status?: number
  at: number
}

export interface MlflowEmulator extends MlflowViews {
  url: string
  state: MlflowState
  /** Every request in arrival order. */
  requests: RecordedRequest[]
  calls (rpc?: string): RecordedRequest[]
  /** Queue faults; each is used by the first matching request. */
  script (...steps: Step[]): void
  /** For `ms` from now every (matching) request fails with `fault` (default: 503 TEMPORARILY_UNAVAILABLE). */
  outage (ms: number, opts?: { fault?: Fault, rpc?: string }): void
  latency (ms: number): void
  /** Hold the next matching response until released (`after`: apply the request first; default true). */
  hold (opts?: { rpc?: string, after?: boolean }): Hold
  /** Reject any metric with this key (and value, when given) with 400 INVALID_PARAMETER_VALUE. */
  rejectMetric (key: string, value?: number): void
  clearRejects (): void
  close (): Promise<void>
}

const PREFIXES = ['/api/2.0/mlflow/', '/ajax-api/2.0/mlflow/']

/** Python's json accepts bare NaN/Infinity; MLflow's ParseDict then fails on them. We mark them. */
function parsePythonJson (text: string): unknown {
  try { return JSON.parse(text) } catch {}
  let out = ''; let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? ''
    if (inString) { out += c; if (c === '\\') out += text[++i] ?? ''; else if (c === '"') inString = false; continue }
    if (c === '"') { inString = true; out += c; continue }
    const m = /^(-?Infinity|NaN)/.exec(text.slice(i, i + 9))
    if (m !== null) { out += `"\\u0000${m[1] ?? ''}"`; i += (m[1] ?? '').length - 1; continue }
    out += c
  }
  return JSON.parse(out)
}

export async function startMlflowEmulator (opts: MlflowEmulatorOptions = {}): Promise<MlflowEmulator> {
  const state = new MlflowState()
  const requests: RecordedRequest[] = []
  let steps: Step[] = []
  let windows: Window[] = []
  let latencyMs = opts.latencyMs ?? 0
  const hopts: HandlerOptions = {
    truncateLongValues: opts.truncateLongValues ?? true,
    maxBatchBytes: opts.maxBatchBytes,
    historyWithoutMaxResults: opts.historyWithoutMaxResults ?? 'all',
    rejects: []
  }
  const sockets = new Set<Socket>()

  const send = (res: ServerResponse, rec: RecordedRequest, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    rec.status = status
    const text = typeof body === 'string' ? body : JSON.stringify(body, (_k, v: unknown) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v), 2)
    const type = typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json'
    res.writeHead(status, { 'content-type': type, ...headers }).end(text)
  }

  const applyFault = async (f: Fault, req: IncomingMessage, res: ServerResponse, rec: RecordedRequest): Promise<boolean> => {
    switch (f.kind) {
      case 'ok': return false
      case 'delay': await sleep(f.ms); return false
      case 'reset': req.socket.destroy(); return true
      case 'status': {
        const headers: Record<string, string> = f.retryAfter !== undefined ? { 'retry-after': String(f.retryAfter) } : {}
        send(res, rec, f.code, { error_code: f.errorCode ?? ERROR_CODE_FOR_STATUS[f.code] ?? 'INTERNAL_ERROR', message: f.message ?? `scripted ${f.code}` }, headers)
        return true
      }
      case 'hold': {
        f.hold.arrive()
        if (await f.hold.wait() === 'reset') { req.socket.destroy(); return true }
        return false
      }
    }
  }

  function authProblem (req: IncomingMessage, rec: RecordedRequest, rawPath: string, rawQuery: string, rawBody: string): { status: number, body: unknown, headers?: Record<string, string> } | undefined {
    const a = opts.auth
    if (a === undefined) return undefined
    const header = req.headers.authorization
    if (a.sigv4 !== undefined) {
      const routing = a.sigv4.routingHeader ?? 'x-mlflow-sm-tracking-server-arn'
      if (req.headers[routing] !== a.sigv4.arn) return { status: 404, body: { message: `missing or unknown ${routing}` } }
      const problem = sigv4Problem({ method: rec.method, rawPath, rawQuery, headers: req.headers, body: rawBody }, {
        service: a.sigv4.service ?? 'sagemaker-mlflow', region: a.sigv4.region, mustSign: ['host', 'x-amz-date', 'x-amz-content-sha256', routing], ...(a.sigv4.secretAccessKey !== undefined ? { secretAccessKey: a.sigv4.secretAccessKey } : {})
      })
      return problem === undefined ? undefined : { status: 403, body: { message: problem } }
    }
    const ok = (a.bearer !== undefined && header === `Bearer ${a.bearer}`) ||
      (a.basic !== undefined && header === 'Basic ' + Buffer.from(`${a.basic.username}:${a.basic.password}`).toString('base64'))
    if (ok) return undefined
    if (a.basic !== undefined) {
      // What `mlflow server --app-name basic-auth` answers.
      return { status: 401, body: 'You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate.', headers: { 'www-authenticate': 'Basic realm="mlflow"' } }
    }
    return { status: 401, body: { error_code: 'UNAUTHENTICATED', message: 'Invalid or missing bearer token' } }
  }

  async function handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const raw = Buffer.concat(chunks)
    const rawUrl = req.url ?? '/'
    const q = rawUrl.indexOf('?')
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q)
    const rawQuery = q < 0 ? '' : rawUrl.slice(q + 1)
    const prefix = PREFIXES.find(p => rawPath.startsWith(p))
    const rpc = prefix === undefined ? '' : rawPath.slice(prefix.length)
    const query: Record<string, string | string[]> = {}
    for (const [k, v] of new URLSearchParams(rawQuery)) {
      const prev = query[k]
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v]
    }
    const rawBody = raw.toString('utf8')
    // The bench turns recording off: a million points of kept bodies is mostly GC work.
    const rec: RecordedRequest = { method: req.method ?? 'GET', path: rawPath, rpc, query, headers: req.headers, body: undefined, rawBody: opts.recordBodies === false ? '' : rawBody, at: Date.now() }
    requests.push(rec)

    const now = Date.now()
    windows = windows.filter(w => w.until > now)
    const window = windows.find(w => w.rpc === undefined || w.rpc === rpc)
    const idx = steps.findIndex(s => s.rpc === undefined || s.rpc === rpc)
    const step = idx < 0 ? undefined : steps.splice(idx, 1)[0]
    if (latencyMs > 0) await sleep(latencyMs)
    if (window !== undefined && await applyFault(window.fault, req, res, rec)) return
    if (step !== undefined && !step.after && await applyFault(step.fault, req, res, rec)) return

    const denied = authProblem(req, rec, rawPath, rawQuery, rawBody)
    if (denied !== undefined) { send(res, rec, denied.status, denied.body, denied.headers); return }
    if (rawPath === '/health') { send(res, rec, 200, 'OK'); return }
    if (rawPath === '/version') { send(res, rec, 200, opts.version ?? '2.22.0'); return }
    const route = handlers[rpc]
    if (route === undefined) { send(res, rec, 404, '<!doctype html><title>404 Not Found</title><h1>Not Found</h1>'); return }
    if (route.method !== 'BOTH' && route.method !== rec.method) { send(res, rec, 405, '<!doctype html><title>405 Method Not Allowed</title>'); return }

    let status = 200; let body: unknown
    try {
      let input: Record<string, unknown>
      if (rec.method === 'POST') {
        const ctype = req.headers['content-type']
        if (ctype === undefined) throw new MlflowError('INVALID_PARAMETER_VALUE', 'Bad Request. Content-Type header is missing.')
        if (ctype.split(';')[0]?.trim().toLowerCase() !== 'application/json') throw new MlflowError('INVALID_PARAMETER_VALUE', "Content-Type must be one of ['application/json']")
        try {
          input = raw.length === 0 ? {} : parsePythonJson(rawBody) as Record<string, unknown>
        } catch {
          send(res, rec, 500, '<!doctype html><title>500 Internal Server Error</title><h1>Internal Server Error</h1>'); return // Flask's page
        }
      } else {
        input = { ...query }
      }
      if (opts.recordBodies !== false) rec.body = input
      body = route.fn(state, input, { bytes: raw.length }, hopts)
    } catch (err) {
      if (!(err instanceof MlflowError)) throw err
      status = err.status; body = { error_code: err.errorCode, message: err.message }
    }
    if (step !== undefined && step.after && await applyFault(step.fault, req, res, rec)) return
    send(res, rec, status, body)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>Internal Server Error</h1>')
    })
  })
  server.keepAliveTimeout = 60_000
  server.on('connection', s => { sockets.add(s); s.on('close', () => sockets.delete(s)) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    state,
    requests,
    calls: rpc => rpc === undefined ? [...requests] : requests.filter(r => r.rpc === rpc),
    script: (...more) => { steps = [...steps, ...more] },
    outage: (ms, o = {}) => {
      windows.push({ until: Date.now() + ms, fault: o.fault ?? { kind: 'status', code: 503 }, ...(o.rpc !== undefined ? { rpc: o.rpc } : {}) })
    },
    latency: ms => { latencyMs = ms },
    hold: (o = {}) => {
      const hold = createHold()
      steps.push({ fault: { kind: 'hold', hold }, after: o.after ?? true, ...(o.rpc !== undefined ? { rpc: o.rpc } : {}) })
      return hold
    },
    rejectMetric: (key, value) => { hopts.rejects.push({ key, ...(value !== undefined ? { value } : {}) }) },
    clearRejects: () => { hopts.rejects.length = 0 },
    ...createViews(state),
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}
