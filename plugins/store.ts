import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { join } from 'node:path'
import type { Store } from '../src/store/store.js'
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js'
import type { Config } from '../src/config/config.js'

declare module 'fastify' {
  interface FastifyInstance { store: Store, config: Config }
}

/** The store, opened once and closed last (its onClose runs after the dispatcher's). */
export default fp(async function storePlugin (app: FastifyInstance, opts: { config: Config }) {
  const store = new SqliteStore({
    file: join(opts.config.dataDir, 'trackgate.sqlite'),
    synchronous: opts.config.sqliteSynchronous,
    tokenGraceMs: opts.config.tokenGraceMs
  })
  app.decorate('config', opts.config)
  app.decorate('store', store)
  app.addHook('onClose', async () => { await store.close() })
}, { name: 'store', dependencies: ['errors'] })
