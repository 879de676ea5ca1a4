/**
 * Run the emulator as its own process (benchmarks keep client and server on separate event loops).
 * Usage: node --import tsx test/emulators/mlflow/serve.ts [latencyMs]. Prints the URL on stdout.
 * Any request to the stats URL answers {requests, logBatch, runs, points} (not an MLflow endpoint).
 */
import { createServer } from 'node:http'
import { startMlflowEmulator } from './server.js'

const emu = await startMlflowEmulator({ latencyMs: Number(process.argv[2] ?? 0), recordBodies: false })
const stats = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ requests: emu.requests.length, logBatch: emu.calls('runs/log-batch').length, runs: emu.state.runs.size, points: emu.pointCount() }))
})
await new Promise<void>(resolve => stats.listen(0, '127.0.0.1', resolve))
const addr = stats.address()
process.stdout.write(JSON.stringify({ url: emu.url, stats: `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}` }) + '\n')
process.on('SIGTERM', () => { stats.close(); emu.close().then(() => process.exit(0), () => process.exit(1)) })
