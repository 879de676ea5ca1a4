import { timingSafeEqual } from 'node:crypto'
import type { Role, Store } from '../store/store.js'
import { hashSecret } from '../util/ids.js'

export type Principal =
  | { kind: 'admin' }
  | { kind: 'key', projectId: string, role: Role, keyId: string }
  | { kind: 'token', runId: string }

/** What a route needs: the gateway admin, a project key of at least a role, or a run's callback token. */
export type AuthNeed = 'admin' | 'project-admin' | 'write' | 'read' | 'run-write' | 'none'

const RANK: Record<Role, number> = { read: 1, write: 2, admin: 3 }
export const roleAtLeast = (have: Role, need: Role): boolean => RANK[have] >= RANK[need]

export const safeEqualHex = (a: string, b: string): boolean =>
  a.length === b.length && timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'))

/**
 * Resolves bearer secrets. API keys are looked up by hash and cached (a lookup per request would
 * cost more than the ingest itself); run tokens are checked against the run in the route.
 */
export class KeyResolver {
  private readonly cache = new Map<string, Principal | null>()
  private readonly adminHash: string | undefined
  private readonly store: Store

  constructor (store: Store, adminKey: string | undefined) {
    this.store = store
    this.adminHash = adminKey === undefined ? undefined : hashSecret(adminKey)
  }

  /** Drop cached keys (after a revocation: the next request looks the key up again). */
  forget (): void {
    this.cache.clear()
  }

  async resolve (secret: string): Promise<Principal | null> {
    const hash = hashSecret(secret)
    if (this.adminHash !== undefined && safeEqualHex(hash, this.adminHash)) return { kind: 'admin' }
    const hit = this.cache.get(hash)
    if (hit !== undefined) return hit
    const key = await this.store.findApiKey(hash)
    const p: Principal | null = key === undefined ? null : { kind: 'key', projectId: key.projectId, role: key.role, keyId: key.id }
    if (p !== null) {
      if (this.cache.size > 10000) this.cache.clear()
      this.cache.set(hash, p)
    }
    return p
  }
}
