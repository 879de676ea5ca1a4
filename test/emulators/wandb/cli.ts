/**
 * Runs the emulator in its own process (for benchmarks, so its CPU and memory are not the
 * sink's): options as JSON in argv[2]; prints one JSON line `{url, apiKey}`; exits when stdin ends.
 */
import { startWandbEmulator } from './server.js'

const emu = await startWandbEmulator(JSON.parse(process.argv[2] ?? '{}'))
process.stdout.write(JSON.stringify({ url: emu.url, apiKey: emu.apiKey }) + '\n')
process.stdin.resume()
process.stdin.on('end', () => {
  emu.close().then(() => process.exit(0), () => process.exit(1))
})
