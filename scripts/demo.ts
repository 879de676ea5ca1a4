/**
 * `npm run demo`: the whole loop on a laptop with only Node and Python 3.
 * Starts a gateway (or uses the one at TRACKGATE_URL with TRACKGATE_ADMIN_KEY), creates a project
 * and a key, launches a local job running the stdlib simulator trainer (loss and Dice curves,
 * reported through the real callback client), prints its progress and where to look, and exits
 * when the job ends (0 if it completed).
 *
 *   npm run demo                                  # the `npm start` gateway if it runs, else an embedded one (data in ./data/demo)
 *   TRACKGATE_URL=http://127.0.0.1:8080 TRACKGATE_ADMIN_KEY=… npm run demo
 *   DEMO_EPOCHS=20 DEMO_STEP_SLEEP=0.05 npm run demo
 */
import { spawnSync } from 'node:child_process'
import { call, gateway, out } from './lib/demo-gateway.js'

const fmt = (m: { value: number | string } | undefined): string => m === undefined ? '   -   ' : typeof m.value === 'number' ? m.value.toFixed(4) : m.value

async function main (): Promise<number> {
  if (spawnSync('python3', ['--version']).status !== 0) {
    out('demo: python3 is needed to run the simulator trainer (containers/training/simulate.py); install Python 3 and retry')
    return 2
  }
  const gw = await gateway()
  const stopJob = { id: undefined as string | undefined, key: '' }
  process.once('SIGINT', () => {
    out('\ndemo: stopping the job…')
    if (stopJob.id !== undefined) call(gw.url, stopJob.key, 'POST', `/v1/jobs/${stopJob.id}/stop`).catch(() => {})
  })
  try {
    out(`trackgate gateway: ${gw.url}${gw.app !== undefined ? ' (embedded)' : ''}`)
    const project = await call(gw.url, gw.admin, 'POST', '/v1/projects', { name: `demo-${Date.now()}` })
    const { key } = await call(gw.url, gw.admin, 'POST', `/v1/projects/${project.id as string}/keys`, { role: 'write' })
    const epochs = Number(process.env['DEMO_EPOCHS'] ?? 8)
    const job = await call(gw.url, key, 'POST', '/v1/jobs', {
      name: 'demo-segresnet',
      backend: 'local',
      model: 'SegResNet',
      experiment: 'demo',
      hyperparameters: { epochs, steps_per_epoch: 25, step_sleep: Number(process.env['DEMO_STEP_SLEEP'] ?? 0.1), lr: 0.0003 }
    })
    stopJob.id = job.id
    stopJob.key = key
    out(`launched local job ${job.id as string} (run ${job.runId as string}), trainer pid ${job.local?.pid as number}`)
    out('  status        step   train_loss  val_loss   val_dice')
    const t0 = Date.now()
    let current = job
    for (;;) {
      await new Promise(resolve => setTimeout(resolve, 1000))
      current = await call(gw.url, key, 'GET', `/v1/jobs/${job.id as string}`)
      const s = await call(gw.url, key, 'GET', `/v1/runs/${job.runId as string}/summary`)
      const m = s.metrics
      const secs = ((Date.now() - t0) / 1000).toFixed(0).padStart(4)
      out(`${secs}s ${String(current.status).padEnd(10)} ${String(m.train_loss?.step ?? '-').padStart(5)}   ${fmt(m.train_loss)}      ${fmt(m.val_loss)}     ${fmt(m.val_dice)}`)
      if (['COMPLETED', 'FAILED', 'STOPPED', 'TIMED_OUT'].includes(current.status)) break
    }
    out('')
    out(`job ${current.status as string}${current.failureReason !== null ? `: ${current.failureReason as string}` : ''}`)
    out('where to look (Authorization: Bearer <a key of this project>):')
    out(`  job           ${gw.url}/v1/jobs/${job.id as string}`)
    out(`  status + live metrics (SSE)  ${gw.url}/v1/jobs/${job.id as string}/events`)
    out(`  trainer logs  ${gw.url}/v1/jobs/${job.id as string}/logs`)
    out(`  run summary   ${gw.url}/v1/runs/${job.runId as string}/summary`)
    out(`  metric series ${gw.url}/v1/runs/${job.runId as string}/metrics?key=val_dice`)
    out(`  API docs      ${gw.url}/docs`)
    if (gw.tensorboardDir !== undefined) out(`  TensorBoard   tensorboard --logdir ${gw.tensorboardDir}`)
    out(`  write key of this demo project: ${key as string}`)
    if (gw.app !== undefined) {
      out(`the embedded gateway stops now; to browse the same data: TRACKGATE_DATA_DIR=${gw.dataDir ?? ''} TRACKGATE_ADMIN_KEY=${gw.admin} npm run dev`)
    }
    return current.status === 'COMPLETED' ? 0 : 1
  } finally {
    await gw.app?.close()
  }
}

main().then(code => process.exit(code), (err: unknown) => {
  process.stderr.write(`demo failed: ${(err as Error).message}\n`)
  process.exit(1)
})
