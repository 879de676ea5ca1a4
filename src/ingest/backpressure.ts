import type { Store } from '../store/store.js'

export interface PressureReading { over: boolean, reason: string, retryAfterS: number }

/**
 * Ingest's high-water marks: the undelivered backlog (entries in partitions that are not paused —
 * a paused sink must not stop everyone's ingest; the store-size mark still bounds it) and the size
 * of the store. Measured on a timer, not per request; ingest reads the last reading.
 */
export class Backpressure {
  private reading: PressureReading = { over: false, reason: '', retryAfterS: 1 }
  private timer: NodeJS.Timeout | undefined
  private readonly store: Store
  private readonly backlogHighWater: number
  private readonly storeHighWaterBytes: number

  constructor (store: Store, o: { backlogHighWater: number, storeHighWaterBytes: number }) {
    this.store = store
    this.backlogHighWater = o.backlogHighWater
    this.storeHighWaterBytes = o.storeHighWaterBytes
  }

  start (intervalMs = 1000): void {
    const tick = (): void => { this.measure().catch(() => {}) }
    this.timer = setInterval(tick, intervalMs)
    this.timer.unref()
    tick()
  }

  stop (): void {
    if (this.timer !== undefined) clearInterval(this.timer)
  }

  current (): PressureReading {
    return this.reading
  }

  async measure (): Promise<PressureReading> {
    const [backlog, bytes] = await Promise.all([this.store.backlog(), this.store.sizeBytes()])
    if (bytes >= this.storeHighWaterBytes) {
      this.reading = { over: true, reason: `store size ${bytes} B is over the high-water mark ${this.storeHighWaterBytes} B`, retryAfterS: 30 }
    } else if (backlog.entries >= this.backlogHighWater) {
      this.reading = { over: true, reason: `${backlog.entries} entries await delivery (high-water mark ${this.backlogHighWater})`, retryAfterS: 5 }
    } else {
      this.reading = { over: false, reason: '', retryAfterS: 1 }
    }
    return this.reading
  }
}
