/**
 * A child-process entry for test/crash/sigkill-commit-window.test.ts: the real gateway (same app,
 * same config from the environment) whose TensorBoard sink is the real one, wrapped so that its
 * N-th delivery (TG_TEST_HOLD_DELIVERY) writes and fsyncs its bytes, prints `HELD …`, and then
 * never answers: the process sits exactly between "the sink wrote" and "the cursor is committed",
 * which is where the test SIGKILLs it. Not a test file itself (tap runs *.test.ts only).
 */
import { build } from '../../src/app.js'
import { loadConfig } from '../../src/config/config.js'
import { createTensorboardSink } from '../../src/sinks/tensorboard/tensorboard-sink.js'
import type { Sink } from '../../src/sinks/sink.js'

const config = loadConfig()
const holdOn = Number(process.env.TG_TEST_HOLD_DELIVERY ?? '0')
const real = createTensorboardSink({ logdir: config.tensorboardDir, fsync: config.tensorboardFsync })
let deliveries = 0

const held: Sink = {
  name: 'tensorboard',
  maxBatchRecords: real.maxBatchRecords,
  async deliver (ctx, records) {
    const out = await real.deliver(ctx, records)
    if (++deliveries === holdOn) {
      const first = records[0]
      const last = records[records.length - 1]
      process.stdout.write(`HELD run=${ctx.run.id} seqs=${first?.seq ?? 0}-${last?.seq ?? 0} state=${ctx.state === null ? 'null' : 'committed'}\n`)
      setInterval(() => {}, 1000)
      await new Promise(() => {})
    }
    return out
  }
}

const app = await build(config, { extraSinks: [held] })
await app.listen({ port: config.port, host: config.host })
