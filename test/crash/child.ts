import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { Agent, fetch } from 'undici'

/** The repository root (the child runs there, as `npm run dev` does). */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** A port that was free a moment ago on loopback (the child binds it, and binds it again after a kill). */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      const port = typeof a === 'object' && a !== null ? a.port : 0
      s.close(() => resolve(port))
    })
  })
}

export const sleep = async (ms: number): Promise<void> => await new Promise(resolve => setTimeout(resolve, ms))

export interface Answer { status: number, body: any }

/**
 * The gateway as a child process (`node --import tsx <entry>`), started and SIGKILLed at will on
 * one data dir and port. Requests go through an agent of their own per start, so no keep-alive
 * socket of a killed process is reused.
 */
export class GatewayProcess {
  readonly url: string
  private proc: ChildProcess | undefined
  private agent: Agent | undefined
  private exited: Promise<void> = Promise.resolve()
  /** The child's stderr and stdout (the tail is shown when something fails). */
  output = ''
  private stdoutWaiters: Array<{ re: RegExp, resolve: (m: RegExpExecArray) => void }> = []

  constructor (readonly opts: { port: number, dataDir: string, adminKey: string, entry?: string, env?: Record<string, string> }) {
    this.url = `http://127.0.0.1:${opts.port}`
  }

  get running (): boolean { return this.proc !== undefined }

  async start (extraEnv: Record<string, string> = {}, timeoutMs = 45000): Promise<void> {
    if (this.proc !== undefined) throw new Error('already running')
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      TMPDIR: process.env.TMPDIR ?? '/tmp',
      PORT: String(this.opts.port),
      HOST: '127.0.0.1',
      TRACKGATE_DATA_DIR: this.opts.dataDir,
      TRACKGATE_ADMIN_KEY: this.opts.adminKey,
      LOG_LEVEL: 'warn',
      TRACKGATE_RETRY_INITIAL_MS: '20',
      TRACKGATE_RETRY_MAX_MS: '200',
      ...this.opts.env,
      ...extraEnv
    }
    const proc = spawn(process.execPath, ['--import', 'tsx', this.opts.entry ?? 'src/server.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    this.proc = proc
    const keep = (d: Buffer): void => {
      this.output = (this.output + String(d)).slice(-20000)
      for (const w of [...this.stdoutWaiters]) {
        const m = w.re.exec(this.output)
        if (m !== null) { this.stdoutWaiters = this.stdoutWaiters.filter(x => x !== w); w.resolve(m) }
      }
    }
    proc.stdout?.on('data', keep)
    proc.stderr?.on('data', keep)
    let exitInfo: string | undefined
    this.exited = new Promise(resolve => proc.once('exit', (code, signal) => {
      exitInfo = `exit ${code ?? ''}${signal ?? ''}`
      if (this.proc === proc) this.proc = undefined
      resolve()
    }))
    this.agent = new Agent({ connections: 64 })
    const until = Date.now() + timeoutMs
    for (;;) {
      if (exitInfo !== undefined) throw new Error(`gateway exited while starting (${exitInfo}):\n${this.output}`)
      try {
        const r = await this.call('GET', '/healthz')
        if (r.status === 200) return
      } catch {}
      if (Date.now() > until) throw new Error(`gateway not healthy after ${timeoutMs} ms:\n${this.output}`)
      await sleep(25)
    }
  }

  /** Resolves with the first match of `re` in the child's output (from now on or already there). */
  async waitForOutput (re: RegExp, ms: number): Promise<RegExpExecArray> {
    const m = re.exec(this.output)
    if (m !== null) return m
    return await new Promise((resolve, reject) => {
      const w = { re, resolve: (x: RegExpExecArray) => { clearTimeout(timer); resolve(x) } }
      const timer = setTimeout(() => {
        this.stdoutWaiters = this.stdoutWaiters.filter(x => x !== w)
        reject(new Error(`no ${re} in the gateway's output after ${ms} ms:\n${this.output}`))
      }, ms)
      this.stdoutWaiters.push(w)
    })
  }

  /** SIGKILL: no close, no flush, no goodbye. Resolves once the process is gone. */
  async kill (): Promise<void> {
    const proc = this.proc
    const agent = this.agent
    if (proc === undefined) return
    proc.kill('SIGKILL')
    await this.exited
    this.proc = undefined
    this.agent = undefined
    agent?.destroy().catch(() => {})
  }

  /** SIGTERM and wait for the graceful close. */
  async stop (): Promise<void> {
    const proc = this.proc
    if (proc === undefined) return
    proc.kill('SIGTERM')
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20000)
    await this.exited
    clearTimeout(timer)
    this.proc = undefined
    await this.agent?.close().catch(() => {})
    this.agent = undefined
  }

  /** One HTTP request; throws on a refused or reset connection (the answer never came). */
  async call (method: string, path: string, auth?: string, body?: unknown): Promise<Answer> {
    const agent = this.agent
    if (agent === undefined) throw new Error('gateway not running')
    const headers: Record<string, string> = {}
    if (auth !== undefined) headers.authorization = `Bearer ${auth}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(this.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), dispatcher: agent })
    const text = await res.text()
    let parsed: unknown = text
    try { parsed = text === '' ? null : JSON.parse(text) } catch {}
    return { status: res.status, body: parsed }
  }
}

/** A project with write/read keys, made through the API of a running gateway. */
export async function seedProjectOn (g: GatewayProcess, adminKey: string): Promise<{ write: string, read: string }> {
  const p = await g.call('POST', '/v1/projects', adminKey, { name: 'crash' })
  if (p.status !== 201) throw new Error(`project: ${p.status} ${JSON.stringify(p.body)}`)
  const key = async (role: string): Promise<string> => {
    const k = await g.call('POST', `/v1/projects/${p.body.id}/keys`, adminKey, { role })
    if (k.status !== 201) throw new Error(`key: ${k.status}`)
    return k.body.key
  }
  return { write: await key('write'), read: await key('read') }
}

/** Poll the run's sinks until every one has delivered the whole log and is healthy. */
export async function drained (g: GatewayProcess, runId: string, readKey: string, ms = 30000): Promise<Array<{ sink: string, state: string, deliveredSeq: number, headSeq: number, lag: number }>> {
  const until = Date.now() + ms
  for (;;) {
    const s = await g.call('GET', `/v1/runs/${runId}/sinks`, readKey)
    const rows = s.body as Array<{ sink: string, state: string, deliveredSeq: number, headSeq: number, lag: number }>
    if (s.status === 200 && rows.length > 0 && rows.every(r => r.lag === 0 && r.state === 'healthy')) return rows
    if (Date.now() > until) throw new Error(`run ${runId} not drained: ${JSON.stringify(s.body)}`)
    await sleep(25)
  }
}
