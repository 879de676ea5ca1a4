import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { seedProject, startGateway } from '../../helper.js'

const python = ['/usr/bin/python3', 'python3'].find(py => spawnSync(py, ['-c', 'import mlflow'], { stdio: 'ignore', timeout: 60000 }).status === 0)

const SCRIPT = `
import mlflow
mlflow.set_experiment("real-exp")
with mlflow.start_run(run_name="real") as run:
    mlflow.log_params({"lr": 0.001, "batch_size": 32})
    for step in range(3):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    mlflow.log_metric("loss_nan", float("nan"), step=3)
    mlflow.log_metrics({"acc": 0.9, "f1": 0.8}, step=3)
    mlflow.set_tags({"team": "ml"})
    print(run.info.run_id)
`

if (python === undefined) {
  t.test('mlflow client: skipped (no importable mlflow package)', { skip: 'mlflow client: skipped (no importable mlflow package)' }, () => {})
} else {
  t.test('the stock mlflow client, unchanged but for its environment, makes a gateway run', async t => {
    const g = await startGateway(t)
    const p = await seedProject(g)
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(python, ['-c', SCRIPT], {
        env: { ...process.env, MLFLOW_TRACKING_URI: `${g.url}/mlflow`, MLFLOW_TRACKING_TOKEN: p.keys.write, MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0' },
        stdio: ['ignore', 'pipe', 'pipe']
      })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => { stdout += String(d) })
      child.stderr.on('data', (d: Buffer) => { stderr += String(d) })
      child.on('error', reject)
      child.on('close', code => { code === 0 ? resolve(stdout) : reject(new Error(`python exited ${String(code)}: ${stderr}`)) })
    })
    const id = out.trim().split('\n').pop() as string
    const run = await g.call('GET', `/v1/runs/${id}`, { auth: p.keys.read })
    t.match(run.body, { id, name: 'real', experiment: 'real-exp', status: 'FINISHED', params: { lr: '0.001', batch_size: '32' } })
    const summary = await g.call('GET', `/v1/runs/${id}/summary`, { auth: p.keys.read })
    t.match(summary.body.metrics, { loss: { value: 1 / 3, step: 2 }, loss_nan: { value: 'NaN' }, acc: { value: 0.9 } })
  })
}
