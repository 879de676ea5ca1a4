import t from 'tap'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { seedProject, startGateway, tempDir } from '../helper.js'
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js'
import { parseSecretKey } from '../../src/secrets/secret-key.js'
import { seal, unseal } from '../../src/secrets/sealed-config.js'

const WANDB_KEY = 'wandb-secret-0123456789abcdef0123456789abcdef'
const MLFLOW_TOKEN = 'mlflow-token-fedcba9876543210'

/** Every byte the gateway keeps on disk in its data dir: database, WAL, everything. */
function dataBytes (dir: string): Buffer {
  return Buffer.concat(readdirSync(dir, { recursive: true, withFileTypes: true }).filter(e => e.isFile()).map(e => readFileSync(join(e.parentPath, e.name))))
}

async function withStore (dataDir: string, fn: (s: SqliteStore) => Promise<void>): Promise<void> {
  const s = new SqliteStore({ file: join(dataDir, 'trackgate.sqlite'), synchronous: 'FULL', tokenGraceMs: 0 })
  try { await fn(s) } finally { await s.close() }
}

t.test('sink secrets are sealed at rest: no secret byte in the data dir, and they still work', async t => {
  const dataDir = tempDir(t)
  const g = await startGateway(t, { dataDir })
  const p = await seedProject(g)
  t.equal((await g.call('PUT', `/v1/projects/${p.id}/targets/wandb`, { auth: p.keys.admin, body: { apiKey: WANDB_KEY, project: 'seg' } })).status, 200)
  t.equal((await g.call('PUT', `/v1/projects/${p.id}/targets/mlflow`, { auth: p.keys.admin, body: { trackingUri: 'http://127.0.0.1:1', token: MLFLOW_TOKEN } })).status, 200)
  const listed = await g.call('GET', `/v1/projects/${p.id}/targets`, { auth: p.keys.admin })
  t.match(listed.body, [{ sink: 'mlflow', config: { trackingUri: 'http://127.0.0.1:1', tokenSet: true } }, { sink: 'wandb', config: { project: 'seg', apiKeySet: true } }], 'read back through the seal')
  t.same(await g.app.targetVault.get(p.id, 'wandb'), { apiKey: WANDB_KEY, project: 'seg' }, 'the sink gets the secret')
  await g.app.close()
  const bytes = dataBytes(dataDir)
  for (const secret of [WANDB_KEY, MLFLOW_TOKEN]) {
    t.equal(bytes.indexOf(secret), -1, `${secret.slice(0, 6)}… appears nowhere in the data dir`)
    t.equal(bytes.indexOf(Buffer.from(secret).toString('base64')), -1, 'not even base64-encoded')
  }
  await withStore(dataDir, async s => {
    const raw = await s.getSinkTarget(p.id, 'wandb')
    t.match(raw, { sealed: /^v1\.[0-9a-f]{8}\./ }, 'stored as one sealed value')
  })
})

t.test('targets stored in clear by an older gateway are sealed at start; a start without their key is refused', async t => {
  const dataDir = tempDir(t)
  const g1 = await startGateway(t, { dataDir })
  const p = await seedProject(g1)
  await g1.app.close()
  await withStore(dataDir, async s => { await s.putSinkTarget(p.id, 'wandb', { apiKey: WANDB_KEY, project: 'old' }, 1) })
  const g2 = await startGateway(t, { dataDir })
  t.ok(g2.logs.some(l => l.includes('sink targets sealed')), 'sealed at start')
  t.same(await g2.app.targetVault.get(p.id, 'wandb'), { apiKey: WANDB_KEY, project: 'old' })
  await g2.app.close()
  t.equal(dataBytes(dataDir).indexOf(WANDB_KEY), -1, 'the clear value is gone from the files')

  const other = randomBytes(32).toString('hex')
  await t.rejects(startGateway(t, { dataDir, env: { TRACKGATE_SECRET_KEY: other } }), /sealed with secret key [0-9a-f]{8}, which this gateway does not have: set TRACKGATE_SECRET_KEY/, 'a clear start error')
})

t.test('rotation: with the previous key set, the start seals every target with the new key', async t => {
  const dataDir = tempDir(t)
  const oldKey = randomBytes(32).toString('hex')
  const newKey = randomBytes(32).toString('base64')
  const g1 = await startGateway(t, { dataDir, env: { TRACKGATE_SECRET_KEY: oldKey } })
  const p = await seedProject(g1)
  await g1.call('PUT', `/v1/projects/${p.id}/targets/wandb`, { auth: p.keys.admin, body: { apiKey: WANDB_KEY, project: 'rot' } })
  await g1.app.close()
  const g2 = await startGateway(t, { dataDir, env: { TRACKGATE_SECRET_KEY: newKey, TRACKGATE_SECRET_KEY_PREVIOUS: oldKey } })
  t.same(await g2.app.targetVault.get(p.id, 'wandb'), { apiKey: WANDB_KEY, project: 'rot' })
  await g2.app.close()
  const g3 = await startGateway(t, { dataDir, env: { TRACKGATE_SECRET_KEY: newKey } })
  t.same(await g3.app.targetVault.get(p.id, 'wandb'), { apiKey: WANDB_KEY, project: 'rot' }, 'the old key is no longer needed')
})

t.test('a sealed value opens only for its own row and key, and any changed byte is refused', async t => {
  const key = parseSecretKey(randomBytes(32).toString('hex'), 'test')
  const s = seal({ apiKey: WANDB_KEY }, key, 'p1/wandb')
  t.same(unseal(s, [key], 'p1/wandb'), { apiKey: WANDB_KEY })
  t.throws(() => unseal(s, [key], 'p2/wandb'), /copied from another project or sink/)
  const parts = s.sealed.split('.')
  const body = Buffer.from(parts[4] as string, 'base64url')
  body[0] = (body[0] as number) ^ 1
  parts[4] = body.toString('base64url')
  t.throws(() => unseal({ sealed: parts.join('.') }, [key], 'p1/wandb'), /altered/)
  t.throws(() => parseSecretKey('short', 'TRACKGATE_SECRET_KEY'), /32 bytes/)
})
