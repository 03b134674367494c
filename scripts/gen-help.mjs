#!/usr/bin/env node
// `make` runs this after the bundle: every help command line (`--help`, `-h`, `help`,
// `help CMD`, `CMD --help`, `CMD -h`, for each command in oclif.manifest.json) and what the
// built CLI, that is oclif's own Help, prints for it, kept in dist/help.json. bin/run.js
// prints from it without loading oclif when what oclif would print is known to be exactly
// this: stdout not a terminal (oclif wraps at 80 columns then), no colour asked for, the
// same Node (the root help's VERSION line names it). test/unit/help-fast.test.ts holds
// every entry against oclif run the other way.
//
//   node scripts/gen-help.mjs        writes dist/help.json
import {execFile} from 'node:child_process'
import {readFileSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const OUT = join(ROOT, 'dist/help.json')

/**
 * Every command line whose whole output is oclif's help, for these command ids, and the one
 * run for it: -h, and 'help CMD', print what --help prints (test/unit/help-fast.test.ts runs
 * each line through oclif and compares), so one run a command; 'help -h' and 'help help'
 * are odd ones (the root help) and run as they are.
 */
function helpForms(ids) {
  const forms = [[[], ['--help']], [['--help'], ['--help']], [['-h'], ['--help']], [['help'], ['--help']]]
  for (const id of ids) {
    if (id === 'help') forms.push(...[['help', '--help'], ['help', '-h'], ['help', 'help']].map((f) => [f, f]))
    else forms.push([['help', id], [id, '--help']], [[id, '--help'], [id, '--help']], [[id, '-h'], [id, '--help']])
  }
  return forms
}

// the old file out of the way: bin/run.js would print from it instead of asking oclif
rmSync(OUT, {force: true})
const ids = Object.keys(JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')).commands)
// a pipe, no colour, no oclif or sockwatch settings from whoever runs make
const env = {PATH: process.env.PATH, HOME: process.env.HOME ?? '/', NO_COLOR: '1'}
const run = promisify(execFile)
const forms = helpForms(ids)
const outputs = new Map()
for (const [, argv] of forms) {
  const key = JSON.stringify(argv)
  if (outputs.has(key)) continue
  outputs.set(key, run(process.execPath, [join(ROOT, 'bin/run.js'), ...argv], {cwd: ROOT, env, maxBuffer: 1 << 20}).then(({stdout, stderr}) => {
    if (stderr !== '') throw new Error(`sockwatch ${argv.join(' ')}: wrote to stderr: ${stderr}`)
    return stdout
  }))
}
const texts = {}
for (const [line, argv] of forms) texts[JSON.stringify(line)] = await outputs.get(JSON.stringify(argv))
writeFileSync(OUT, `${JSON.stringify({node: process.version, platform: process.platform, arch: process.arch, texts}, null, 1)}\n`)
