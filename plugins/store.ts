import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Store } from '../src/store/store.js'
import type { JobStore } from '../src/store/job-store.js'
import type { TuningStore } from '../src/store/tuning-store.js'
import { openStores } from '../src/store/open-store.js'
import type { Config } from '../src/config/config.js'

declare module 'fastify' {
  interface FastifyInstance { store: Store, storeBackend: 'sqlite' | 'postgres', jobStore: JobStore, tuningStore: TuningStore, config: Config }
}

/** The store (SQLite, or PostgreSQL for replicas), opened once and closed last (its onClose runs after the dispatcher's). */
export default fp(async function storePlugin (app: FastifyInstance, opts: { config: Config }) {
  const opened = await openStores(opts.config, err => { app.log.warn({ err: { message: err.message } }, 'a database connection failed; the pool reconnects') })
  app.log.info({ backend: opened.backend, where: opened.where, replicaId: opts.config.store.replicaId }, 'store opened')
  app.decorate('config', opts.config)
  app.decorate('store', opened.store)
  app.decorate('storeBackend', opened.backend)
  app.decorate('jobStore', opened.jobs)
  app.decorate('tuningStore', opened.tunings)
  app.addHook('onClose', async () => { await opened.store.close() })
}, { name: 'store', dependencies: ['errors'] })
