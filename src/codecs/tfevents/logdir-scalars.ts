import { type Dirent } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { SCALARS_PLUGIN } from './event-decoder.js'
import { readEventFile } from './event-file-reader.js'

export interface ScalarPoint {
  run: string
  tag: string
  step: number
  value: number
  wallTime: number
}

/** TensorBoard's test for an event file (io_wrapper.IsSummaryEventsFile). */
export function isEventFile (basename: string): boolean {
  return basename.includes('tfevents') && !basename.endsWith('.profile-empty')
}

/**
 * Runs under `logdir` as TensorBoard names them: each directory directly holding an event file,
 * by its path relative to the logdir with '/' separators, and '.' for the logdir itself.
 * Maps run name → absolute file paths in lexicographic (= creation, given the zero-padded
 * timestamp in the names) order.
 */
export async function listRuns (logdir: string): Promise<Map<string, string[]>> {
  const runs = new Map<string, string[]>()
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[]
    try {
      entries = await readdir(dir, { withFileTypes: true })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && dir !== logdir) return // vanished mid-walk
      throw err
    }
    const files = entries.filter((e) => e.isFile() && isEventFile(e.name)).map((e) => e.name).sort()
    if (files.length > 0) {
      const rel = relative(logdir, dir)
      runs.set(rel === '' ? '.' : rel.split(sep).join('/'), files.map((f) => join(dir, f)))
    }
    for (const e of entries) if (e.isDirectory()) await walk(join(dir, e.name))
  }
  await walk(logdir)
  return runs
}

/**
 * Every scalar point in a logdir, as TensorBoard's scalar dashboard would list it: values with
 * a simple_value, or tensors whose tag's first metadata in the run names the `scalars` plugin
 * (TensorBoard keeps the first metadata per tag and run). Non-scalar summaries such as the
 * hparams plugin's are skipped. Sorted by run, then tag, keeping file order within a tag.
 * Differences from TensorBoard, kept on purpose for a checker: no 1000-point sampling, no
 * purge on a restart (SessionLog.START), a truncated tail is silently skipped (it is still
 * being written) but a corrupt record throws its TfeventsCorruptError instead of hiding the
 * rest of the file.
 */
export async function readScalars (logdir: string): Promise<ScalarPoint[]> {
  const points: ScalarPoint[] = []
  for (const [run, files] of await listRuns(logdir)) {
    const firstPlugin = new Map<string, string>()
    for (const file of files) {
      const { events, stop } = await readEventFile(file)
      if (stop?.kind === 'corrupt') throw stop
      for (const event of events) {
        for (const v of event.summary ?? []) {
          // TensorBoard gives a bare simple_value the scalars metadata before it looks at the tag.
          const own = v.pluginName ?? (v.kind === 'simple_value' ? SCALARS_PLUGIN : undefined)
          if (own !== undefined && !firstPlugin.has(v.tag)) firstPlugin.set(v.tag, own)
          if (firstPlugin.get(v.tag) !== SCALARS_PLUGIN) continue
          const value = v.kind === 'simple_value' ? v.scalar : v.tensorNumber
          if (value !== undefined) points.push({ run, tag: v.tag, step: event.step, value, wallTime: event.wallTime })
        }
      }
    }
  }
  const byRunTag = (a: ScalarPoint, b: ScalarPoint): number =>
    a.run === b.run ? (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0) : a.run < b.run ? -1 : 1
  return points.sort(byRunTag)
}
