import t from 'tap'
import { spawn } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../helper.js'

/** Start the real server process on a free port; resolve with its stderr once it listens. */
async function start (t: { teardown: (fn: () => unknown) => void }, dataDir: string, env: Record<string, string> = {}): Promise<{ stderr: string, url: string }> {
  const { TRACKGATE_ADMIN_KEY: _drop, ...base } = process.env
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...base, TRACKGATE_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe']
  })
  const exited = new Promise(resolve => child.once('exit', resolve))
  t.teardown(async () => { child.kill('SIGTERM'); await exited })
  let stderr = ''
  let stdout = ''
  child.stdout.on('data', (d: Buffer) => { stdout += String(d) })
  return await new Promise((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      stderr += String(d)
      const m = /listening on (http:\/\/\S+)/.exec(stderr)
      if (m !== null && stderr.includes('the README')) resolve({ stderr, url: m[1] as string })
    })
    child.once('exit', code => reject(new Error(`server exited ${String(code)}: ${stderr} ${stdout}`)))
  })
}

t.test('a fresh npm start says what to do next, and a restart keeps the admin key', async t => {
  const dataDir = tempDir(t)
  const first = await start(t, dataDir)
  const keyFile = join(dataDir, 'admin.key')
  const key = readFileSync(keyFile, 'utf8').trim()
  t.match(key, /^tga_[A-Za-z0-9_-]{43}$/)
  t.equal(statSync(keyFile).mode & 0o777, 0o600, 'only its owner can read the key file')
  t.ok(first.stderr.includes(key), 'the new key is shown once')
  t.match(first.stderr, `${first.url}/docs`)
  t.match(first.stderr, /npm run demo/)
  const docs = await fetch(`${first.url}/docs`)
  t.equal(docs.status, 200, 'the docs URL it prints works')
  const project = await fetch(`${first.url}/v1/projects`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{"name":"first"}' })
  t.equal(project.status, 201, 'the printed key works')

  const again = await start(t, tempDir(t), {})
  t.notOk(again.stderr.includes(key), 'another data dir gets another key')
  const restarted = await start(t, dataDir)
  t.notOk(restarted.stderr.includes(key), 'a restart does not print the key again')
  t.match(restarted.stderr, `admin key: in ${keyFile}`)
  const listed = await fetch(`${restarted.url}/v1/projects`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{"name":"second"}' })
  t.equal(listed.status, 201, 'the same key still works after the restart')

  const own = await start(t, dataDir, { TRACKGATE_ADMIN_KEY: 'x'.repeat(40) })
  t.match(own.stderr, /admin key: the TRACKGATE_ADMIN_KEY you set/)
  t.notOk(own.stderr.includes('x'.repeat(40)), 'a configured key is never printed')
})
