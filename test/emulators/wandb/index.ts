export { startWandbEmulator, DEFAULT_API_KEY, type WandbEmulator, type WandbEmulatorOptions, type ReceivedRequest } from './server.js'
export { fault, type Fault, type Match, type Step, type Held } from './faults.js'
export { parseExtendedJson, type ExtValue } from './extended-json.js'
export type { RunView } from './view.js'
