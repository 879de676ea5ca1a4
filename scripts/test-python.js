#!/usr/bin/env node
// Runs the Python tests of containers/ (stdlib unittest): `npm run test:python`.
//
// 1. `python3 -m unittest discover -s containers/tests -t .` (the client against a stdlib fake
//    gateway and, when src/server.ts can start, the real one; trainer config, data layout, simulator).
// 2. The torch trainer tests (containers.tests.test_trainer_torch) with an interpreter that can import
//    torch + nibabel: python3 itself if it can, else Debian's /usr/bin/python3 if it can. None: skipped,
//    with the install hint. `--install-torch` first runs
//    `apt-get install -y python3-torch python3-nibabel` (Debian; about a minute).
//
// Env: TRACKGATE_PYTHON overrides `python3`; TRACKGATE_TORCH_PYTHON overrides the torch interpreter.
// Prints each unittest summary and a closing `python: N passed, N failed, N skipped` line;
// exits non-zero when any test failed or errored.

import { spawn, spawnSync } from 'node:child_process'
import { realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const repo = join(dirname(fileURLToPath(import.meta.url)), '..')
const python = process.env.TRACKGATE_PYTHON || 'python3'
const args = process.argv.slice(2)

function canImportTorch (py) {
  const r = spawnSync(py, ['-c', 'import torch, nibabel, numpy'], { cwd: repo, stdio: 'ignore' })
  return r.status === 0
}

function resolvePath (py) {
  const r = spawnSync(py, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' })
  if (r.status !== 0) return undefined
  try { return realpathSync(r.stdout.trim()) } catch { return r.stdout.trim() }
}

function runUnittest (py, unittestArgs) {
  return new Promise((resolve) => {
    console.log(`\n$ ${py} -m unittest ${unittestArgs.join(' ')}`)
    const child = spawn(py, ['-m', 'unittest', ...unittestArgs], {
      cwd: repo,
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let err = ''
    child.stdout.on('data', (d) => process.stdout.write(d))
    child.stderr.on('data', (d) => { err += d; process.stderr.write(d) })
    child.on('error', (e) => resolve({ ran: 0, failed: 1, skipped: 0, code: 1, error: e.message }))
    child.on('close', (code) => {
      const ran = Number(/Ran (\d+) tests?/.exec(err)?.[1] ?? 0)
      const failures = Number(/failures=(\d+)/.exec(err)?.[1] ?? 0)
      const errors = Number(/errors=(\d+)/.exec(err)?.[1] ?? 0)
      const unexpected = Number(/unexpected successes=(\d+)/.exec(err)?.[1] ?? 0)
      const skipped = Number(/skipped=(\d+)/.exec(err)?.[1] ?? 0)
      let failed = failures + errors + unexpected
      if (code !== 0 && failed === 0) failed = 1 // crashed before the summary
      resolve({ ran, failed, skipped, code })
    })
  })
}

if (args.includes('--install-torch')) {
  console.log('$ apt-get install -y python3-torch python3-nibabel')
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
  const r = spawnSync('apt-get', ['install', '-y', '-qq', 'python3-torch', 'python3-nibabel'], { stdio: 'inherit', env })
  if (r.status !== 0) console.warn('apt-get install failed; the torch tests will be skipped')
}

const results = []
results.push(await runUnittest(python, ['discover', '-s', 'containers/tests', '-t', '.']))

let torchPython = process.env.TRACKGATE_TORCH_PYTHON
if (!torchPython) {
  if (canImportTorch(python)) torchPython = undefined // already ran (not skipped) in step 1
  else if (canImportTorch('/usr/bin/python3')) torchPython = '/usr/bin/python3'
}
if (torchPython && resolvePath(torchPython) !== resolvePath(python)) {
  results.push(await runUnittest(torchPython, ['containers.tests.test_trainer_torch']))
} else if (!torchPython && !canImportTorch(python)) {
  console.log('\nnote: torch trainer tests skipped: no interpreter with torch + nibabel ' +
    '(Debian: apt-get install -y python3-torch python3-nibabel, or `npm run test:python -- --install-torch`)')
}

const total = results.reduce((a, r) => ({
  ran: a.ran + r.ran, failed: a.failed + r.failed, skipped: a.skipped + r.skipped
}), { ran: 0, failed: 0, skipped: 0 })
const passed = total.ran - total.failed - total.skipped
console.log(`\npython: ${passed} passed, ${total.failed} failed, ${total.skipped} skipped`)
process.exit(total.failed > 0 || results.some((r) => r.code !== 0) ? 1 : 0)
