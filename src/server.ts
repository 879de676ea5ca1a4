import closeWithGrace from 'close-with-grace'
import { build } from './app.js'
import { ConfigError, loadConfig, type Config } from './config/config.js'
import { resolveAdminKey } from './config/admin-key.js'
import { welcome } from './welcome.js'

// The AWS SDK warns, in a multi-line message on stderr, that releases after January 2027 will need
// Node 22. Our package-lock pins a release that supports Node 20, which this project targets; the
// warning would only break our one-JSON-line-per-event logs. An operator may set it to 'false'.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

/** The process: validated config, the app, listen, and a graceful close on SIGTERM/SIGINT. */
async function main (): Promise<void> {
  let config: Config
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`trackgate: ${err.message}\n`)
      process.exit(2)
    }
    throw err
  }
  const admin = resolveAdminKey(config.adminKey, config.dataDir)
  config = { ...config, adminKey: admin.key }
  const app = await build(config)
  closeWithGrace({ delay: config.shutdownGraceMs + 5000 }, async ({ signal, err }) => {
    if (err !== undefined) app.log.error({ err }, 'closing after an error')
    else app.log.info({ signal }, 'closing')
    await app.close()
  })
  await app.listen({ port: config.port, host: config.host })
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : config.port
  process.stderr.write(welcome(`http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`, admin))
}

main().catch(err => {
  process.stderr.write(`trackgate: failed to start: ${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
