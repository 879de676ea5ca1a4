import type { Lease, LeaseStore } from '../store/lease-store.js'

/**
 * A lease this replica holds while it works: renewed every third of its time to live; `lost`
 * once a renewal is refused (another replica took it over after this one stalled), after which
 * the store's fencing refuses every write made under it anyway.
 */
export class HeldLease {
  private timer: NodeJS.Timeout | undefined
  private renewing: Promise<void> | undefined
  lost = false

  private constructor (private readonly leases: LeaseStore, public current: Lease, private readonly ttlMs: number) {
    this.timer = setInterval(() => {
      if (this.renewing !== undefined) return
      this.renewing = this.leases.renewLease(this.current, this.ttlMs)
        .then(l => {
          if (l === null) { this.lost = true; this.stopRenewing() } else this.current = l
        })
        .catch(() => {}) // the store is unreachable: try again next tick; the lease may expire meanwhile
        .finally(() => { this.renewing = undefined })
    }, Math.max(50, Math.floor(ttlMs / 3)))
    this.timer.unref()
  }

  /** The lease if free (or ours), else null: another replica holds it. */
  static async acquire (leases: LeaseStore, name: string, owner: string, ttlMs: number): Promise<HeldLease | null> {
    const l = await leases.acquireLease(name, owner, ttlMs)
    return l === null ? null : new HeldLease(leases, l, ttlMs)
  }

  async release (): Promise<void> {
    this.stopRenewing()
    await this.renewing
    if (!this.lost) await this.leases.releaseLease(this.current)
  }

  private stopRenewing (): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
  }
}
