import type { FastifyBaseLogger } from 'fastify'
import type { LeaseStore } from '../store/lease-store.js'

/** One kind of thing replicas share out: SageMaker jobs, SageMaker tuning jobs. */
export interface AdoptedKind<T extends { id: string }> {
  /** The lease's name for one item (lease-store.ts `jobLease`, `tuningLease`). */
  lease: (id: string) => string
  /** Items not ended: each is worked on by the replica holding its lease. */
  active: () => Promise<T[]>
  /** This replica now holds the item's lease: start following it (a no-op when it already does). */
  adopt: (item: T) => Promise<void>
}

/**
 * On a store several replicas share: every third of the lease time, each replica extends the
 * leases it holds and takes those of items whose holder stopped renewing (killed, partitioned),
 * adopting the items; the trackers ask `claim` before each poll and drop an item whose lease went
 * to another replica. A lease is held from the launch on (`claim` at create), so another replica
 * cannot mistake a job whose create is in flight for an orphan.
 */
export class LeaseAdopter {
  private timer: NodeJS.Timeout | undefined
  private sweeping: Promise<void> | undefined
  private readonly kinds: Array<AdoptedKind<{ id: string }>> = []

  constructor (private readonly o: { leases: LeaseStore, owner: string, ttlMs: number, log: FastifyBaseLogger }) {}

  add<T extends { id: string }> (kind: AdoptedKind<T>): void {
    this.kinds.push(kind as unknown as AdoptedKind<{ id: string }>)
  }

  /** True while this replica may work on `name` (free, expired, or already ours: then extended). */
  async claim (name: string): Promise<boolean> {
    try {
      return await this.o.leases.acquireLease(name, this.o.owner, this.o.ttlMs) !== null
    } catch (err) {
      this.o.log.warn({ err, lease: name }, 'could not claim a lease; trying again later')
      return false
    }
  }

  start (): void {
    const sweep = (): void => { this.sweep().catch(err => this.o.log.error({ err }, 'lease sweep failed')) }
    sweep()
    this.timer = setInterval(sweep, Math.max(100, Math.floor(this.o.ttlMs / 3)))
    this.timer.unref()
  }

  async sweep (): Promise<void> {
    if (this.sweeping !== undefined) return await this.sweeping
    this.sweeping = (async () => {
      for (const kind of this.kinds) {
        let items: Array<{ id: string }>
        try { items = await kind.active() } catch (err) { this.o.log.warn({ err }, 'could not list active items to lease'); continue }
        for (const item of items) {
          if (!await this.claim(kind.lease(item.id))) continue
          await kind.adopt(item).catch(err => this.o.log.error({ err, lease: kind.lease(item.id) }, 'adopting a leased item failed'))
        }
      }
    })().finally(() => { this.sweeping = undefined })
    await this.sweeping
  }

  /** Stop sweeping and hand every lease back, so other replicas take over at once (a clean shutdown). */
  async stop (): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer)
    await this.sweeping
    try {
      for (const l of await this.o.leases.leasesHeld(this.o.owner)) {
        if (!l.name.startsWith('partition:')) await this.o.leases.releaseLease(l)
      }
    } catch (err) {
      this.o.log.warn({ err }, 'could not release job leases; they expire')
    }
  }
}
