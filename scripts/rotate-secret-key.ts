// Seals every project's sink targets with TRACKGATE_SECRET_KEY, opening those sealed before with
// TRACKGATE_SECRET_KEY_PREVIOUS (and any still in clear): `npm run rotate-secret-key`, with the
// gateway's environment (TRACKGATE_DATA_DIR or TRACKGATE_DATABASE_URL). A gateway started with
// both keys does the same at its start; this does it without starting one.
import { loadConfig } from '../src/config/config.js'
import { openStores } from '../src/store/open-store.js'
import { loadSecretKeys } from '../src/secrets/secret-key.js'
import { TargetVault } from '../src/secrets/target-vault.js'

const config = loadConfig()
const c = config.store
const keys = loadSecretKeys({ key: c.secretKey, keyFile: c.secretKeyFile, previousKey: c.previousSecretKey, dataDir: config.dataDir })
const opened = await openStores(config, () => {})
try {
  const n = await new TargetVault(opened.store, keys.current, keys.previous).sealAll(Date.now())
  process.stdout.write(`rotate-secret-key: ${n} sink target(s) sealed with key ${keys.current.id} (${opened.where})\n`)
} finally {
  await opened.store.close()
}
