import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { build, type BuildOptions } from '../src/app.js'
import { toConfig, type Config, type EnvConfig } from '../src/config/config.js'
import { envSchema } from 'env-schema'
import { ConfigSchema } from '../src/config/config.js'

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef0123456789'

interface Tap { teardown (fn: () => unknown): void }

/** A config for tests: temp data dir, fast retries and scans, everything else at its default. */
export function testConfig (dataDir: string, env: Record<string, string> = {}, overrides: Partial<Config> = {}): Config {
  const parsed = envSchema<EnvConfig>({
    schema: ConfigSchema,
    data: { TRACKGATE_DATA_DIR: dataDir, TRACKGATE_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'silent', PORT: '0', TRACKGATE_RETRY_INITIAL_MS: '20', TRACKGATE_RETRY_MAX_MS: '200', TRACKGATE_DISPATCH_LINGER_MS: '20', ...env },
    dotenv: false
  })
  return { ...toConfig(parsed), dispatchScanMs: 50, ...overrides }
}

export function tempDir (t: Tap, prefix = 'trackgate-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export interface Gateway {
  app: FastifyInstance
  url: string
  dataDir: string
  config: Config
  logs: string[]
  /** fetch against the gateway with an optional bearer secret; JSON bodies are encoded. */
  call (method: string, path: string, opts?: { auth?: string, body?: unknown, raw?: string, headers?: Record<string, string> }): Promise<{ status: number, body: any, headers: Headers }>
}

/** Build the real app on a temp SQLite file, listen on a free loopback port, close in teardown. */
export async function startGateway (t: Tap, o: { env?: Record<string, string>, config?: Partial<Config>, build?: BuildOptions, dataDir?: string, port?: number } = {}): Promise<Gateway> {
  const dataDir = o.dataDir ?? tempDir(t)
  const config = testConfig(dataDir, { LOG_LEVEL: 'info', ...o.env }, o.config)
  const logs: string[] = []
  const logStream = new Writable({ write (chunk, _enc, cb) { logs.push(String(chunk)); cb() } })
  const app = await build(config, { logStream, ...o.build })
  // A fixed port (a restart test) keeps the URL trainers call back; else any free one.
  await app.listen({ port: o.port ?? 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  const addr = app.server.address()
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`
  const call: Gateway['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers }
    if (opts.auth !== undefined) headers.authorization = `Bearer ${opts.auth}`
    let body: string | undefined = opts.raw
    if (opts.body !== undefined) { body = JSON.stringify(opts.body); headers['content-type'] = 'application/json' }
    if (opts.raw !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json'
    const res = await fetch(url + path, { method, headers, body })
    const text = await res.text()
    let parsed: unknown = text
    try { parsed = text === '' ? null : JSON.parse(text) } catch {}
    return { status: res.status, body: parsed, headers: res.headers }
  }
  return { app, url, dataDir, config, logs, call }
}

/** A project with keys of every role, and helpers to make runs in it. */
export async function seedProject (g: Gateway, name = 'p') {
  const p = await g.call('POST', '/v1/projects', { auth: ADMIN_KEY, body: { name } })
  if (p.status !== 201) throw new Error(`project: ${p.status} ${JSON.stringify(p.body)}`)
  const key = async (role: string): Promise<string> => {
    const k = await g.call('POST', `/v1/projects/${p.body.id}/keys`, { auth: ADMIN_KEY, body: { role } })
    if (k.status !== 201) throw new Error(`key: ${k.status}`)
    return k.body.key
  }
  const keys = { admin: await key('admin'), write: await key('write'), read: await key('read') }
  const run = async (body: Record<string, unknown> = {}): Promise<{ id: string, token: string }> => {
    const r = await g.call('POST', '/v1/runs', { auth: keys.write, body })
    if (r.status !== 201) throw new Error(`run: ${r.status} ${JSON.stringify(r.body)}`)
    return r.body
  }
  return { id: p.body.id as string, keys, run }
}

/** Poll `check` until it returns a truthy value, or fail after `ms`. */
export async function eventually<T> (check: () => Promise<T | undefined | false>, ms = 10000, what = 'condition'): Promise<T> {
  const until = Date.now() + ms
  for (;;) {
    const v = await check()
    if (v !== undefined && v !== false) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}
