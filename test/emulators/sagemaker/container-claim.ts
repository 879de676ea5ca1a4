import type { ContainerClaim } from './types.js'

export interface ClaimIo {
  claims: ContainerClaim[]
  closed: () => boolean
  /** A timer the emulator clears on close. */
  sleep: (ms: number) => Promise<void>
}

export interface ClaimRequest { base: string, tuningJobId: string, token: string, trainingJobName: string }

const ATTEMPTS = 5
const FIRST_DELAY_MS = 25

/**
 * What the trainer's Python client does in a tuning trial:
 * `POST {base}/v1/tuning-jobs/{id}/claim`, `Authorization: Bearer <tuning token>`,
 * `{"trainingJobName": "<TRAINING_JOB_NAME>"}` → 200/201 `{"runId", "token"}`.
 * Connection errors, 429 and 5xx are retried (the gateway may not know the tuning job yet);
 * any other answer ends the claim without a run.
 */
export async function claimRun (req: ClaimRequest, io: ClaimIo): Promise<{ runId: string, token: string } | undefined> {
  const url = `${req.base}/v1/tuning-jobs/${encodeURIComponent(req.tuningJobId)}/claim`
  const body = { trainingJobName: req.trainingJobName }
  const record: ContainerClaim = { url, body, attempts: 0, status: 'error' }
  io.claims.push(record)
  for (let attempt = 1; attempt <= ATTEMPTS && !io.closed(); attempt++) {
    record.attempts = attempt
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${req.token}` }, body: JSON.stringify(body) })
      record.status = res.status
      const text = await res.text()
      if (res.status === 200 || res.status === 201) {
        const run = parseRun(text)
        if (run !== undefined) record.runId = run.runId
        return run
      }
      if (res.status !== 429 && res.status < 500) return undefined
    } catch {
      record.status = 'error'
    }
    if (attempt < ATTEMPTS) await io.sleep(FIRST_DELAY_MS * 2 ** (attempt - 1))
  }
  return undefined
}

function parseRun (text: string): { runId: string, token: string } | undefined {
  try {
    const v = JSON.parse(text) as { runId?: unknown, token?: unknown }
    return typeof v.runId === 'string' && typeof v.token === 'string' ? { runId: v.runId, token: v.token } : undefined
  } catch { return undefined }
}
