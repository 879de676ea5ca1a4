import t from 'tap'
import { loadConfig } from '../../src/config/config.js'

t.test('defaults are the embedded ones', async t => {
  const c = loadConfig({})
  t.equal(c.port, 8080)
  t.equal(c.host, '127.0.0.1')
  t.equal(c.dataDir, './data')
  t.equal(c.tensorboardDir, './data/tensorboard')
  t.equal(c.sqliteSynchronous, 'FULL')
  t.same(c.defaultSinks, ['tensorboard'])
  t.equal(c.adminKey, undefined)
})

t.test('a bad value stops start-up with a message naming the variable', async t => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'eighty' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ TRACKGATE_ADMIN_KEY: 'short' }, /TRACKGATE_ADMIN_KEY/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ TRACKGATE_SQLITE_SYNCHRONOUS: 'OFF' }, /TRACKGATE_SQLITE_SYNCHRONOUS/],
    [{ TRACKGATE_PUBLIC_URL: 'ftp://x' }, /TRACKGATE_PUBLIC_URL/],
    [{ TRACKGATE_DEFAULT_SINKS: 'Tensor Board' }, /TRACKGATE_DEFAULT_SINKS/]
  ]
  for (const [env, re] of cases) {
    t.throws(() => loadConfig(env), { name: 'ConfigError' }, JSON.stringify(env))
    try { loadConfig(env) } catch (err) { t.match((err as Error).message, re) }
  }
})

t.test('values are parsed and derived', async t => {
  const c = loadConfig({ PORT: '9000', TRACKGATE_DATA_DIR: '/srv/tg', TRACKGATE_DEFAULT_SINKS: 'tensorboard,mlflow', TRACKGATE_TOKEN_GRACE_SECONDS: '60' })
  t.equal(c.port, 9000)
  t.equal(c.tensorboardDir, '/srv/tg/tensorboard')
  t.same(c.defaultSinks, ['tensorboard', 'mlflow'])
  t.equal(c.tokenGraceMs, 60000)
})

t.test('the server process exits with the one-line message', async t => {
  const { spawnSync } = await import('node:child_process')
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: { ...process.env, PORT: 'nope' }, encoding: 'utf8', timeout: 30000 })
  t.equal(r.status, 2)
  t.match(r.stderr, /^trackgate: invalid configuration: .*PORT/)
  t.equal(r.stderr.trim().split('\n').length, 1)
})
