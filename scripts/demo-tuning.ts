/**
 * `npm run demo:tuning`: a local 8-trial Bayesian search over the simulator trainer (no AWS): lr
 * (log scale), batch size and model, two trials at a time, maximising val:dice. Prints each trial
 * as it ends and the best one, and where TensorBoard's HParams dashboard compares them.
 *
 *   npm run demo:tuning                 # the `npm start` gateway if it runs, else an embedded one (data in ./data/demo-tuning)
 *   DEMO_TRIALS=12 DEMO_PARALLEL=3 npm run demo:tuning
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { call, gateway, out } from './lib/demo-gateway.js'

const TERMINAL = ['COMPLETED', 'FAILED', 'STOPPED']
const show = (v: Record<string, unknown>): string => Object.entries(v).map(([k, x]) => `${k}=${typeof x === 'number' && !Number.isInteger(x) ? x.toExponential(2) : String(x)}`).join(' ')

async function main (): Promise<number> {
  if (spawnSync('python3', ['--version']).status !== 0) {
    out('demo:tuning: python3 is needed to run the simulator trainer; install Python 3 and retry')
    return 2
  }
  const gw = await gateway('demo-tuning')
  try {
    out(`trackgate gateway: ${gw.url}${gw.app !== undefined ? ' (embedded)' : ''}`)
    const project = await call(gw.url, gw.admin, 'POST', '/v1/projects', { name: `demo-tuning-${Date.now()}` })
    const { key } = await call(gw.url, gw.admin, 'POST', `/v1/projects/${project.id as string}/keys`, { role: 'write' })
    const tuning = await call(gw.url, key, 'POST', '/v1/tuning-jobs', {
      name: 'demo-hpo',
      backend: 'local',
      job: { name: 'demo-seg', model: 'SegResNet', experiment: 'demo-tuning', hyperparameters: { epochs: 4, steps_per_epoch: 10, step_sleep: Number(process.env['DEMO_STEP_SLEEP'] ?? 0.02) } },
      ranges: {
        lr: { type: 'continuous', min: 1e-5, max: 1e-2, scaling: 'log' },
        batch_size: { type: 'integer', min: 1, max: 8 },
        model: { type: 'categorical', values: ['UNet', 'SegResNet', 'SwinUNETR'] }
      },
      objective: { metric: 'val:dice', type: 'Maximize' },
      strategy: 'Bayesian',
      maxJobs: Number(process.env['DEMO_TRIALS'] ?? 8),
      maxParallelJobs: Number(process.env['DEMO_PARALLEL'] ?? 2)
    })
    out(`started tuning job ${tuning.id as string}: Bayesian over lr, batch_size, model; ${tuning.maxJobs as number} trials, ${tuning.maxParallelJobs as number} at a time`)
    const seen = new Set<number>()
    let bestSoFar = -Infinity
    let current = tuning
    for (;;) {
      await new Promise(resolve => setTimeout(resolve, 500))
      current = await call(gw.url, key, 'GET', `/v1/tuning-jobs/${tuning.id as string}`)
      for (const trial of current.trials) {
        if (!TERMINAL.includes(trial.status) || seen.has(trial.index)) continue
        seen.add(trial.index)
        const better = trial.objective !== null && trial.objective > bestSoFar
        if (better) bestSoFar = trial.objective
        const best = better ? '  ← best so far' : ''
        out(`  trial ${String(trial.index).padStart(2)} ${String(trial.status).padEnd(9)} val:dice ${trial.objective === null ? '   -  ' : (trial.objective as number).toFixed(4)}  ${show(trial.hyperparameters)}${best}`)
      }
      if (TERMINAL.includes(current.status)) break
    }
    out('')
    out(`search ${current.status as string}; best trial: ${current.best === null ? 'none' : `val:dice ${(current.best.objective as number).toFixed(4)} with ${show(current.best.hyperparameters)}`}`)
    out(`  the search     ${gw.url}/v1/tuning-jobs/${tuning.id as string}   (Authorization: Bearer ${key as string})`)
    if (gw.tensorboardDir !== undefined) {
      out(`  HParams        tensorboard --logdir ${join(gw.tensorboardDir, project.id as string, 'demo-tuning', current.group as string)}`)
    }
    return current.status === 'COMPLETED' ? 0 : 1
  } finally {
    await gw.app?.close()
  }
}

main().then(code => process.exit(code), (err: unknown) => {
  process.stderr.write(`demo:tuning failed: ${(err as Error).message}\n`)
  process.exit(1)
})
