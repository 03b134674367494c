#!/usr/bin/env node
// `make` runs this after the bundle: every help command line (`--help`, `-h`, `help`,
// `help CMD`, `CMD --help`, `CMD -h`, for each command in oclif.manifest.json) run through
// the built CLI, that is oclif's own Help, and its output kept in dist/help.json. bin/run.js
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

/** Every command line whose whole output is oclif's help, for these command ids. */
function helpForms(ids) {
  return [[], ['--help'], ['-h'], ['help'], ...ids.flatMap((id) => [['help', id], [id, '--help'], [id, '-h']])]
}

// the old file out of the way: bin/run.js would print from it instead of asking oclif
rmSync(OUT, {force: true})
const ids = Object.keys(JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')).commands)
// a pipe, no colour, no oclif or sockwatch settings from whoever runs make
const env = {PATH: process.env.PATH, HOME: process.env.HOME ?? '/', NO_COLOR: '1'}
const run = promisify(execFile)
const texts = {}
await Promise.all(
  helpForms(ids).map(async (argv) => {
    const {stdout, stderr} = await run(process.execPath, [join(ROOT, 'bin/run.js'), ...argv], {cwd: ROOT, env, maxBuffer: 1 << 20})
    if (stderr !== '') throw new Error(`sockwatch ${argv.join(' ')}: wrote to stderr: ${stderr}`)
    texts[JSON.stringify(argv)] = stdout
  }),
)
writeFileSync(OUT, `${JSON.stringify({node: process.version, platform: process.platform, arch: process.arch, texts}, null, 1)}\n`)
