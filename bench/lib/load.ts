import autocannon from 'autocannon'

/**
 * The load generator, run in its own process (sharing a process with the server under test
 * halves the server's rate). Posts 100-point batches with a unique batchId each to the runs given;
 * `mlflow: true` posts the same points as the stock MLflow client's `runs/log-batch` instead.
 */
interface Args { url: string, auth: string, runIds: string[], connections: number, durationS: number, overallRate?: number, points: number, mlflow?: boolean }

const args = JSON.parse(process.argv[2] as string) as Args
const mlflowMetrics = Array.from({ length: args.points }, (_, i) => `{"key":"train/metric_${i % 20}","value":${(0.123456789 * (i + 1)).toFixed(9)},"timestamp":1795000000000,"step":STEP}`).join(',')
const metrics = Array.from({ length: args.points }, (_, i) => `{"key":"train/metric_${i % 20}","value":${(0.123456789 * (i + 1)).toFixed(9)},"step":STEP,"timestamp":1795000000000}`).join(',')
let n = 0
const started = process.hrtime.bigint()
const result = await autocannon({
  url: args.url,
  connections: args.connections,
  duration: args.durationS,
  ...(args.overallRate === undefined ? {} : { overallRate: args.overallRate }),
  requests: [{
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${args.auth}` },
    setupRequest: (req: autocannon.Request) => {
      const i = n++
      const run = args.runIds[i % args.runIds.length] as string
      const step = String(Math.floor(i / args.runIds.length))
      if (args.mlflow === true) return { ...req, path: '/mlflow/api/2.0/mlflow/runs/log-batch', body: `{"run_id":"${run}","metrics":[${mlflowMetrics.replaceAll('STEP', step)}],"params":[],"tags":[]}` }
      return { ...req, path: `/v1/runs/${run}/log`, body: `{"batchId":"b-${i}","metrics":[${metrics.replaceAll('STEP', step)}]}` }
    }
  }]
})
const seconds = Number(process.hrtime.bigint() - started) / 1e9
process.stdout.write(JSON.stringify({
  rps: result.requests.average,
  total: result.requests.total,
  non2xx: result.non2xx,
  errors: result.errors + result.timeouts,
  statusCodes: result.statusCodeStats,
  errorKinds: { errors: result.errors, timeouts: result.timeouts, resets: result.resets },
  p50: result.latency.p50,
  p99: result.latency.p99,
  seconds
}) + '\n')
