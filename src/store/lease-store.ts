/**
 * Leases let several gateway replicas share one store: a (sink, run) partition, a SageMaker job
 * or a tuning job is worked on by the replica holding its lease, until the lease expires. Every
 * new holder gets a larger `token` (a fencing token): a write made under a lease (a delivery's
 * cursor move) is refused once another replica holds it, so a replica that was paused past its
 * lease and wakes up cannot move a cursor back or commit a delivery twice.
 *
 * Expiry is judged by the store's own clock (the database's), which every replica shares.
 * Only stores that several processes share implement it (PostgreSQL). The embedded SQLite store
 * has one process by construction, so it has no leases and nothing waits on them.
 */
export interface Lease { name: string, owner: string, token: number, until: number }

export interface LeaseStore {
  /** The lease when it is free, expired or already the owner's (then extended, same token); else null. */
  acquireLease (name: string, owner: string, ttlMs: number): Promise<Lease | null>
  /** Extends a lease still held with this token; null when it was lost. */
  renewLease (lease: Lease, ttlMs: number): Promise<Lease | null>
  releaseLease (lease: Lease): Promise<void>
  leasesHeld (owner: string): Promise<Lease[]>
}

/** Thrown by a store's fenced write when the lease it was made under is no longer held. */
export class LeaseLostError extends Error {
  readonly code = 'TG_LEASE_LOST'
  override readonly name = 'LeaseLostError'
  constructor (readonly lease: Lease) {
    super(`lease ${lease.name} (token ${lease.token}) is no longer held by ${lease.owner}`)
  }
}

export const partitionLease = (sink: string, runId: string): string => `partition:${sink}:${runId}`
export const jobLease = (jobId: string): string => `job:${jobId}`
export const tuningLease = (tuningJobId: string): string => `tuning:${tuningJobId}`
