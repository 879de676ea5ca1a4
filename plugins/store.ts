import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Store } from '../src/store/store.js'
import type { JobStore } from '../src/store/job-store.js'
import type { TuningStore } from '../src/store/tuning-store.js'
import { openStores } from '../src/store/open-store.js'
import type { Config } from '../src/config/config.js'
import { loadSecretKeys } from '../src/secrets/secret-key.js'
import { TargetVault } from '../src/secrets/target-vault.js'

declare module 'fastify' {
  interface FastifyInstance { store: Store, storeBackend: 'sqlite' | 'postgres', jobStore: JobStore, tuningStore: TuningStore, targetVault: TargetVault, config: Config }
}

/** The store (SQLite, or PostgreSQL for replicas), opened once and closed last (its onClose runs after the dispatcher's). */
export default fp(async function storePlugin (app: FastifyInstance, opts: { config: Config }) {
  const opened = await openStores(opts.config, err => { app.log.warn({ err: { message: err.message } }, 'a database connection failed; the pool reconnects') })
  app.log.info({ backend: opened.backend, where: opened.where, replicaId: opts.config.store.replicaId }, 'store opened')
  app.addHook('onClose', async () => { await opened.store.close() })
  // Sink secrets are sealed at rest; those stored before (or under the previous key) are sealed now.
  const c = opts.config.store
  const keys = loadSecretKeys({ key: c.secretKey, keyFile: c.secretKeyFile, previousKey: c.previousSecretKey, dataDir: opts.config.dataDir })
  const vault = new TargetVault(opened.store, keys.current, keys.previous)
  const sealed = await vault.sealAll(Date.now())
  if (sealed > 0) app.log.info({ targets: sealed, keyId: keys.current.id }, 'sink targets sealed with the current secret key')
  app.decorate('targetVault', vault)
  app.decorate('config', opts.config)
  app.decorate('store', opened.store)
  app.decorate('storeBackend', opened.backend)
  app.decorate('jobStore', opened.jobs)
  app.decorate('tuningStore', opened.tunings)
}, { name: 'store', dependencies: ['errors'] })
