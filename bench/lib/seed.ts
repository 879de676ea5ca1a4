/** Create a project, a write key and `runs` runs on a gateway; returns the key and run ids. */
export async function seedGateway (url: string, adminKey: string, runs: number, concurrency = 16): Promise<{ key: string, runIds: string[] }> {
  const post = async (path: string, auth: string, body: unknown): Promise<any> => {
    const r = await fetch(url + path, { method: 'POST', headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`)
    return await r.json()
  }
  const project = await post('/v1/projects', adminKey, { name: 'bench' })
  const { key } = await post(`/v1/projects/${project.id}/keys`, adminKey, { role: 'write' })
  const runIds: string[] = []
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < runs) {
      const i = next++
      const run = await post('/v1/runs', key, { name: `bench-${i}`, experiment: 'bench', params: { lr: '0.001', model: 'SegResNet' } })
      runIds.push(run.id)
    }
  }))
  return { key, runIds }
}
