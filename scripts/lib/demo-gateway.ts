/** What both demos need: a gateway (the running `npm start` one, a given one, or an embedded one) and a JSON call. */
import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { randomBytes } from 'node:crypto'
import { loadConfig } from '../../src/config/config.js'

export const out = (line: string): void => { process.stdout.write(line + '\n') }

export async function gateway (dataDirName = 'demo'): Promise<{ url: string, admin: string, app?: FastifyInstance, tensorboardDir?: string, dataDir?: string }> {
  const url = process.env['TRACKGATE_URL']
  const admin = process.env['TRACKGATE_ADMIN_KEY']
  if (url !== undefined && admin !== undefined) return { url: url.replace(/\/+$/, ''), admin }
  const running = await runningGateway()
  if (running !== undefined) {
    out(`using the gateway already running at ${running.url} (its key from ${running.keyFile})`)
    return { url: running.url, admin: running.admin }
  }
  const key = admin ?? `tga_${randomBytes(24).toString('base64url')}`
  const config = loadConfig({
    ...process.env,
    TRACKGATE_DATA_DIR: process.env['TRACKGATE_DATA_DIR'] ?? resolve('data', dataDirName),
    TRACKGATE_ADMIN_KEY: key,
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
    PORT: process.env['PORT'] ?? '0'
  })
  // As src/server.ts: the AWS SDK's multi-line Node 22 notice would only clutter the demo's output.
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true'
  const { build } = await import('../../src/app.js')
  const app = await build(config)
  await app.listen({ port: config.port, host: config.host })
  const a = app.server.address()
  const port = typeof a === 'object' && a !== null ? a.port : config.port
  return { url: `http://${config.host}:${port}`, admin: key, app, tensorboardDir: resolve(config.tensorboardDir), dataDir: resolve(config.dataDir) }
}

/** The `npm start` gateway of this checkout, when it is up: its port, and the key it saved. */
export async function runningGateway (): Promise<{ url: string, admin: string, keyFile: string } | undefined> {
  const keyFile = resolve(process.env['TRACKGATE_DATA_DIR'] ?? 'data', 'admin.key')
  if (!existsSync(keyFile)) return undefined
  const url = `http://127.0.0.1:${process.env['PORT'] ?? '8080'}`
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) })
    if (!res.ok) return undefined
  } catch {
    return undefined
  }
  return { url, admin: readFileSync(keyFile, 'utf8').trim(), keyFile }
}

export async function call (url: string, auth: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${auth}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const json = await res.json() as any
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${json?.message ?? ''}`)
  return json
}
