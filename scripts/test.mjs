#!/usr/bin/env node
// Runs every uvu suite (unit, then integration on the real kernel) and ends
// with one line "N passed, N failed". Exits non-zero on any failure.
// Usage: node scripts/test.mjs [unit|integration]...
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const groups = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'integration']
const uvu = 'node_modules/uvu/bin.js'
let passed = 0
let failed = 0

for (const group of groups) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', uvu, `test/${group}`, '\\.test\\.ts$'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {...process.env, FORCE_COLOR: '0', TZ: 'UTC'},
    maxBuffer: 256 * 1024 * 1024,
  })
  process.stdout.write(run.stdout ?? '')
  const plain = (run.stdout ?? '').replace(/\x1b\[[0-9;]*m/g, '')
  const count = (label) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(plain)?.[1] ?? 0)
  const total = count('Total')
  const ok = count('Passed')
  const skipped = count('Skipped')
  // A skipped test is not a pass: in CI every test must run.
  let bad = total - ok
  if (run.status !== 0 && bad === 0) bad = 1 // the suite could not even load
  if (total === 0) bad = Math.max(bad, 1)
  console.log(`[${group}] ${ok} passed, ${bad} failed${skipped ? ` (${skipped} skipped)` : ''}`)
  passed += ok
  failed += bad
}

console.log(`${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
