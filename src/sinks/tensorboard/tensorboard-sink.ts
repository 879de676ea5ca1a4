import type { ParamValue } from '../../domain/param-value.js'
import { open, mkdir, stat } from 'node:fs/promises'
import { join, relative } from 'node:path'
import type { AddressedRecord } from '../../domain/records.js'
import type { DeliveryContext, DeliveryResult, Sink, SinkRun } from '../sink.js'
import { encodeEvents } from './encode-events.js'
import { SinkError } from '../sink-error.js'

/** File-system failures (disk full, permissions, a vanished mount) are transient: retry, never dead-letter. */
const io = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
  try {
    return await f()
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    throw new SinkError('TG_SINK_UNAVAILABLE', `tensorboard ${what}: ${e.code ?? e.message}`, { cause: err })
  }
}

/**
 * Durable per-run TensorBoard state. The byte offset is the exactly-once mechanism: it is
 * committed with the cursor, and a delivery first truncates the file back to it, so bytes written
 * by a delivery whose commit never happened (a crash in between) are written again exactly once.
 */
export interface TensorboardState {
  /** Event file, relative to the log dir. */
  file: string
  /** Which file of the run this is (0, then 1 if the committed bytes of file 0 were lost, …). */
  generation: number
  offset: number
  /** Params seen before the HParams session was written (TensorBoard keeps the first one only). */
  params: Record<string, ParamValue>
  sessionWritten: boolean
}

const safe = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_').slice(0, 100) || '_'

/** One directory per run: `<logdir>/<project>/<experiment>/<run name>-<id prefix>` = one TensorBoard run. */
/**
 * `<project>/<experiment>/<name>-<id8>`; a group (a tuning job) gets its own directory: its root
 * run writes there, each member run in a subdirectory, so `tensorboard --logdir <group dir>`
 * compares the trials in the HParams dashboard.
 */
export function runDirectory (logdir: string, run: SinkRun): string {
  const base = join(logdir, safe(run.projectId), safe(run.experiment))
  if (run.group === null) return join(base, `${safe(run.name)}-${run.id.slice(0, 8)}`)
  if (run.parentRunId === null) return join(base, safe(run.group))
  return join(base, safe(run.group), `${safe(run.name)}-${run.id.slice(0, 8)}`)
}

/**
 * The file name is a function of the run and the generation only, never of the clock: a delivery
 * that wrote a new file and crashed before its commit must find and overwrite that same file on
 * the retry, not leave it behind next to a second copy. TensorBoard reads a run's files in name
 * order, and a later generation sorts later.
 */
export const eventFileName = (run: SinkRun, generation: number): string =>
  `events.out.tfevents.${String(Math.floor(run.createdAt / 1000)).padStart(10, '0')}.trackgate.${run.id.slice(0, 8)}.${String(generation).padStart(4, '0')}`

export function createTensorboardSink (opts: { logdir: string, fsync: boolean, maxBatchRecords?: number }): Sink {
  const newFile = async (run: SinkRun, generation: number, params: Record<string, ParamValue> = {}): Promise<TensorboardState> => {
    const dir = runDirectory(opts.logdir, run)
    await io('mkdir', async () => await mkdir(dir, { recursive: true }))
    return { file: relative(opts.logdir, join(dir, eventFileName(run, generation))), generation, offset: 0, params, sessionWritten: false }
  }

  return {
    name: 'tensorboard',
    // Small enough that one delivery never blocks the event loop for long (ingest shares it).
    maxBatchRecords: opts.maxBatchRecords ?? 5000,
    async deliver (ctx: DeliveryContext, records: AddressedRecord[]): Promise<DeliveryResult> {
      let state = ctx.state as TensorboardState | null
      let fresh = false
      if (state === null) { state = await newFile(ctx.run, 0); fresh = true }
      const path = join(opts.logdir, state.file)
      const size = await stat(path).then(s => s.size, () => -1)
      if (!fresh && (size < state.offset || size === -1)) {
        // The committed bytes are gone (file deleted or cut outside the gateway): carry on in a new
        // file rather than leave a hole that would hide everything after it.
        state = await newFile(ctx.run, (state.generation ?? 0) + 1, state.params)
        fresh = true
      }
      const { bytes, next } = encodeEvents(state, records, ctx.run, fresh || state.offset === 0)
      await io('write', async () => {
        const fh = await open(join(opts.logdir, next.file), fresh ? 'w' : 'r+')
        try {
          if (!fresh && size > next.offset) await fh.truncate(next.offset)
          if (bytes.length > 0) {
            await fh.write(bytes, 0, bytes.length, next.offset)
            if (opts.fsync) await fh.datasync()
          }
        } finally {
          await fh.close()
        }
      })
      return { state: { ...next, offset: next.offset + bytes.length } }
    }
  }
}
