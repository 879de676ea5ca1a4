import { CORE_HISTORY, type MigrationHistory } from './pg-migrations.js'
import { JOB_HISTORY } from './pg-job-migrations.js'

/** Every versioned history in a trackgate database, applied together when a store opens. */
export const PG_HISTORIES: MigrationHistory[] = [CORE_HISTORY, JOB_HISTORY]

export const PG_LATEST_VERSIONS: Record<string, number> = Object.fromEntries(
  PG_HISTORIES.map(h => [h.table, h.migrations[h.migrations.length - 1]?.version ?? 0])
)
