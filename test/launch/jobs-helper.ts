import type { Config } from '../../src/config/config.js'
import type { LaunchConfig } from '../../src/config/launch-config.js'
import { eventually, type Gateway } from '../helper.js'

/** A config override that changes launch settings only. */
export function launchConfig (base: LaunchConfig, patch: Partial<LaunchConfig>): Partial<Config> {
  return { launch: { ...base, ...patch } }
}

export const TERMINAL = ['COMPLETED', 'FAILED', 'STOPPED', 'TIMED_OUT']

/** Waits until the job's status is `status` (or any terminal one) and returns the job. */
export async function waitJob (g: Gateway, key: string, id: string, status?: string, ms = 20000): Promise<any> {
  return await eventually(async () => {
    const r = await g.call('GET', `/v1/jobs/${id}`, { auth: key })
    const s = r.body?.status as string
    return (status === undefined ? TERMINAL.includes(s) : s === status) ? r.body : undefined
  }, ms, `job ${id} ${status ?? 'to end'}`)
}

/** Reads a server-sent-event stream until it ends; returns the events in order. */
export async function readSse (url: string, key: string, timeoutMs = 20000): Promise<Array<{ event: string, data: any }>> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(timeoutMs) })
  if (res.status !== 200 || res.body === null) throw new Error(`SSE ${res.status}`)
  const text = await res.text()
  const out: Array<{ event: string, data: any }> = []
  for (const block of text.split('\n\n')) {
    const ev = /^event: (.*)$/m.exec(block)?.[1]
    const data = /^data: (.*)$/m.exec(block)?.[1]
    if (ev !== undefined && data !== undefined) out.push({ event: ev, data: JSON.parse(data) })
  }
  return out
}

/** Kills leftover trainer process groups so a failing test cannot leak processes. */
export function killGroup (pid: number | null | undefined): void {
  if (pid === null || pid === undefined) return
  try { process.kill(-pid, 'SIGKILL') } catch {}
}
