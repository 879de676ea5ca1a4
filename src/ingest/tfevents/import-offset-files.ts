import { readdir, readFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifyBaseLogger } from 'fastify'
import type { IngestOffsets, Store } from '../../store/store.js'

/**
 * Gateways before schema v5 kept event-file offsets in `<dataDir>/tfevents-offsets/<run>.json`.
 * Moved into the store once, at start (a file's offsets already in the store win), then the
 * folder is renamed so it is not read again. Without this a resumed tail would restart at 0 and
 * cut its ranges differently, storing points twice.
 */
export async function importOffsetFiles (dataDir: string, store: Store, log: FastifyBaseLogger): Promise<void> {
  const dir = join(dataDir, 'tfevents-offsets')
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  let files = 0
  for (const name of names.filter(n => n.endsWith('.json'))) {
    const runId = name.slice(0, -'.json'.length)
    const table = JSON.parse(await readFile(join(dir, name), 'utf8')) as Record<string, IngestOffsets>
    for (const [file, offsets] of Object.entries(table)) {
      if ((await store.getIngestOffsets(runId, file)).consumed > 0) continue
      await store.putIngestOffsets(runId, file, offsets, Date.now())
      files++
    }
  }
  await rename(dir, `${dir}.imported`)
  log.info({ files }, 'tfevents offsets moved from the data folder into the store')
}
