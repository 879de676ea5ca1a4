import type { Test } from 'tap'
import type { MakeStore } from './contract-fixtures.js'
import { projectsContract } from './contract-projects.js'
import { runsContract } from './contract-runs.js'
import { appendContract } from './contract-append.js'
import { concurrencyContract } from './contract-concurrency.js'
import { deliveryContract } from './contract-delivery.js'
import { deadLettersContract } from './contract-dead-letters.js'
import { jobsContract } from './contract-jobs.js'
import { tuningContract } from './contract-tuning.js'
import { restartContract } from './contract-restart.js'

export { GRACE_MS, type Backend, type MakeStore, type Place } from './contract-fixtures.js'

/**
 * What every store backend promises, method by method: `Store`, `JobStore` and `TuningStore`, with
 * calls in flight at once and across a restart. `makeStore` gives each case a new, empty place
 * (file, database) whose backends open with `tokenGraceMs: GRACE_MS`; a runner per backend calls
 * this (sqlite.test.ts, postgres.test.ts).
 */
export function storeContract (t: Test, makeStore: MakeStore): void {
  projectsContract(t, makeStore)
  runsContract(t, makeStore)
  appendContract(t, makeStore)
  concurrencyContract(t, makeStore)
  deliveryContract(t, makeStore)
  deadLettersContract(t, makeStore)
  jobsContract(t, makeStore)
  tuningContract(t, makeStore)
  restartContract(t, makeStore)
}
