/**
 * Runs `fn` alone for one key (a run's event file): two uploads of one file must not both start
 * at one offset. In-process only; across replicas, the run log's batch-id dedupe and the offsets'
 * pending range keep a retried range single, and a load balancer's session stickiness (one
 * container uploads one file, in order) keeps overlapping uploads on one replica.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>()

  async run<T> (key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve()
    const mine = before.then(fn, fn)
    const tail = mine.catch(() => {})
    this.tails.set(key, tail)
    try {
      return await mine
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key)
    }
  }
}
