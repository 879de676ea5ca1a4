import type { Store } from '../store/store.js'
import type { SecretKey } from './secret-key.js'
import { isSealed, seal, sealedKeyId, unseal } from './sealed-config.js'

const aad = (projectId: string, sink: string): string => `${projectId}/${sink}`

/**
 * Per-project sink targets (W&B API keys, MLflow tokens) sealed at rest: every write seals the
 * whole config, every read opens it. The one way in and out of the store's sink targets.
 */
export class TargetVault {
  private readonly keys: SecretKey[]

  constructor (private readonly store: Store, private readonly current: SecretKey, previous?: SecretKey) {
    this.keys = previous === undefined ? [current] : [current, previous]
  }

  async put (projectId: string, sink: string, config: Record<string, unknown>, now: number): Promise<void> {
    await this.store.putSinkTarget(projectId, sink, { ...seal(config, this.current, aad(projectId, sink)) }, now)
  }

  async get (projectId: string, sink: string): Promise<Record<string, unknown> | undefined> {
    const raw = await this.store.getSinkTarget(projectId, sink)
    return raw === undefined ? undefined : this.open(projectId, sink, raw)
  }

  async list (projectId: string): Promise<Array<{ sink: string, config: Record<string, unknown>, updatedAt: number }>> {
    return (await this.store.listSinkTargets(projectId)).map(r => ({ ...r, config: this.open(projectId, r.sink, r.config) }))
  }

  async delete (projectId: string, sink: string): Promise<boolean> {
    return await this.store.deleteSinkTarget(projectId, sink)
  }

  /**
   * At start: targets stored in clear (before sealing existed) and targets sealed with the
   * previous key are sealed with the current one; a target that no key opens stops the start
   * with a message naming what to set. Returns how many were sealed anew.
   */
  async sealAll (now: number): Promise<number> {
    let n = 0
    for (const t of await this.store.listAllSinkTargets()) {
      if (isSealed(t.config) && sealedKeyId(t.config) === this.current.id) continue
      await this.put(t.projectId, t.sink, this.open(t.projectId, t.sink, t.config), now)
      n++
    }
    return n
  }

  private open (projectId: string, sink: string, raw: Record<string, unknown>): Record<string, unknown> {
    return isSealed(raw) ? unseal(raw, this.keys, aad(projectId, sink)) : raw
  }
}
