import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { readFileSync } from 'node:fs'

export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      const port = typeof a === 'object' && a !== null ? a.port : 0
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })
}

export interface Child { proc: ChildProcess, url: string, stop: () => Promise<void>, rssMb: () => number }

/** Start a Node script (TypeScript through tsx) as its own process and wait for `readyPath` to answer. */
export async function startNode (script: string, env: Record<string, string>, readyPath = '/healthz'): Promise<Child> {
  const port = await freePort()
  const proc = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', process.env.BENCH_DEBUG === undefined ? 'ignore' : 'inherit', 'inherit']
  })
  const url = `http://127.0.0.1:${port}`
  const until = Date.now() + 30000
  for (;;) {
    try {
      const r = await fetch(url + readyPath)
      if (r.ok) break
    } catch {}
    if (Date.now() > until || proc.exitCode !== null) throw new Error(`${script} did not start`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  return {
    proc,
    url,
    stop: async () => {
      if (proc.exitCode !== null) return
      const done = new Promise(resolve => proc.once('exit', resolve))
      proc.kill('SIGTERM')
      await done
    },
    rssMb: () => {
      const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8')
      const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
      return kb / 1024
    }
  }
}

/** Run a script to completion in its own process and parse the JSON it prints last. */
export async function runNodeJson<T> (script: string, args: unknown): Promise<T> {
  return await new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    proc.stdout.on('data', d => { out += String(d) })
    proc.on('exit', code => {
      if (code !== 0) { reject(new Error(`${script} exited ${code}`)); return }
      try { resolve(JSON.parse(out.trim().split('\n').at(-1) as string) as T) } catch (err) { reject(err) }
    })
  })
}
