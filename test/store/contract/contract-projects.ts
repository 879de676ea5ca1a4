import type { Test } from 'tap'
import { fresh, seedProject, T0, type MakeStore } from './contract-fixtures.js'

export function projectsContract (t: Test, makeStore: MakeStore): void {
  t.test('projects and API keys', async t => {
    const { store } = await fresh(t, makeStore)
    t.strictSame(await store.createProject({ id: 'p1', name: 'seg', createdAt: T0 }), { id: 'p1', name: 'seg', createdAt: T0 })
    await store.createProject({ id: 'p2', name: 'other', createdAt: T0 + 1 })
    t.strictSame(await store.getProject('p1'), { id: 'p1', name: 'seg', createdAt: T0 })
    t.equal(await store.getProject('nope'), undefined, 'an unknown project')
    await t.rejects(store.createProject({ id: 'p1', name: 'again', createdAt: T0 }), 'project ids are unique')

    const before = Date.now()
    await store.createApiKey({ id: 'k-b', projectId: 'p1', role: 'write', hash: 'hash-b' })
    await store.createApiKey({ id: 'k-a', projectId: 'p1', role: 'read', hash: 'hash-a' })
    await store.createApiKey({ id: 'k-c', projectId: 'p2', role: 'admin', hash: 'hash-c' })
    await t.rejects(store.createApiKey({ id: 'k-d', projectId: 'p1', role: 'read', hash: 'hash-b' }), 'a key hash is unique')
    await t.rejects(store.createApiKey({ id: 'k-e', projectId: 'nope', role: 'read', hash: 'hash-e' }), 'a key belongs to a project that exists')
    t.strictSame(await store.findApiKey('hash-b'), { id: 'k-b', projectId: 'p1', role: 'write' })
    t.strictSame(await store.findApiKey('hash-c'), { id: 'k-c', projectId: 'p2', role: 'admin' })
    t.equal(await store.findApiKey('hash-x'), undefined, 'an unknown hash')

    const keys = await store.listApiKeys('p1')
    t.strictSame(keys.map(k => k.id).sort(), ['k-a', 'k-b'], 'the project\'s keys only')
    t.ok(keys.every(k => k.createdAt >= before && k.createdAt <= Date.now()), 'created now (ms)')
    const sorted = [...keys].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
    t.strictSame(keys, sorted, 'ordered by creation time, then id')

    t.equal(await store.revokeApiKey('p2', 'k-a'), false, 'not through another project')
    t.equal(await store.revokeApiKey('p1', 'k-a'), true)
    t.equal(await store.revokeApiKey('p1', 'k-a'), false, 'once')
    t.equal(await store.findApiKey('hash-a'), undefined, 'a revoked key is not found')
    t.strictSame((await store.listApiKeys('p1')).map(k => k.id), ['k-b'])
  })

  t.test('per-project sink targets', async t => {
    const { store } = await fresh(t, makeStore)
    await seedProject(store, 'p1')
    await seedProject(store, 'p2')
    t.equal(await store.getSinkTarget('p1', 'wandb'), undefined)
    const mlflow = { url: 'http://mlflow', auth: { token: 's3cret' }, retries: [1, 2] }
    await store.putSinkTarget('p1', 'mlflow', mlflow, T0)
    await store.putSinkTarget('p1', 'wandb', { entity: 'team' }, T0 + 1)
    await store.putSinkTarget('p2', 'mlflow', { url: 'http://other' }, T0)
    t.strictSame(await store.getSinkTarget('p1', 'mlflow'), mlflow)
    await store.putSinkTarget('p1', 'wandb', { entity: 'team2', project: 'x' }, T0 + 5)
    t.strictSame(await store.listSinkTargets('p1'), [
      { sink: 'mlflow', config: mlflow, updatedAt: T0 },
      { sink: 'wandb', config: { entity: 'team2', project: 'x' }, updatedAt: T0 + 5 }
    ], 'ordered by sink; a second put replaces the config')
    t.equal(await store.deleteSinkTarget('p1', 'wandb'), true)
    t.equal(await store.deleteSinkTarget('p1', 'wandb'), false, 'once')
    t.equal(await store.deleteSinkTarget('p1', 'nope'), false)
    t.equal(await store.getSinkTarget('p1', 'wandb'), undefined)
    t.strictSame(await store.getSinkTarget('p2', 'mlflow'), { url: 'http://other' }, 'per project')
  })

  t.test('health: ping and size', async t => {
    const { store } = await fresh(t, makeStore)
    await t.resolves(store.ping())
    const size = await store.sizeBytes()
    t.ok(Number.isInteger(size) && size > 0, `size in bytes (${size})`)
  })
}
