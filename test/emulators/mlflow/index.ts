export { startMlflowEmulator, type MlflowEmulator, type MlflowEmulatorOptions, type RecordedRequest } from './server.js'
export { fault, type Fault, type Hold, type Step } from './faults.js'
export type { RunView } from './views.js'
export { expectedSignature, parseAuthorization, canonicalRequest, sigv4Problem } from './sigv4.js'
