// Help without oclif (bin/run.js prints dist/help.json, which make has oclif write:
// scripts/gen-help.mjs): every help command line of every command, run now both ways, prints
// the same bytes with exit 0, and the canned path never loads the bundle; on a terminal of
// another width, with colour asked for, or for anything else, oclif answers as before.
import {spawnSync} from 'node:child_process'
import {closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {CLI, runCli} from '../helpers/unit-cli.js'
import {fixturePath, ROOT} from '../helpers/unit-fixtures.js'

const help = suite('help-fast')
const dir = mkdtempSync(join(tmpdir(), 'sockwatch-help-'))
help.after(() => rmSync(dir, {recursive: true, force: true}))
let files = 0
const hook = fixturePath('../helpers/loaded-modules.mjs')

/** Runs the CLI; whether it loaded the bundle's main.js (oclif). */
const run = (argv: string[], env: Record<string, string> = {}) => {
  const loaded = join(dir, `loaded-${++files}`)
  writeFileSync(loaded, '')
  const r = runCli(argv, {...env, LOADED_MODULES: loaded, NODE_OPTIONS: `--import ${hook}`})
  return {...r, oclif: readFileSync(loaded, 'utf8').split('\n').some((url) => url.endsWith('/dist/bundle/main.js'))}
}

const canned = JSON.parse(readFileSync(join(ROOT, 'dist/help.json'), 'utf8')) as {node: string; texts: Record<string, string>}
const ids = Object.keys(JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')).commands as object)

help('help-fast :: every command has its help command lines canned: help CMD, CMD --help, CMD -h; and the root ones', () => {
  const want = [[], ['--help'], ['-h'], ['help'], ...ids.flatMap((id) => [['help', id], [id, '--help'], [id, '-h']])].map((a) => JSON.stringify(a)).sort()
  assert.equal(Object.keys(canned.texts).sort(), want)
  assert.ok(ids.includes('capture') && ids.includes('summary') && ids.length >= 8, ids.join(' '))
  assert.is(canned.node, process.version)
})

for (const key of Object.keys(canned.texts)) {
  const argv = JSON.parse(key) as string[]
  help(`help-fast :: sockwatch ${argv.join(' ') || '(nothing)'}: oclif's help, without oclif`, () => {
    const fast = run(argv)
    // OCLIF_COLUMNS (the same 80 a pipe gets) sends it to oclif
    const slow = run(argv, {OCLIF_COLUMNS: '80'})
    assert.is(fast.oclif, false, 'the canned path loaded main.js')
    assert.is(slow.oclif, true, 'oclif was not asked')
    assert.ok(fast.stdout.length > 40 && /USAGE|COMMANDS/.test(fast.stdout), fast.stdout)
    assert.equal({status: fast.status, stdout: fast.stdout, stderr: fast.stderr}, {status: slow.status, stdout: slow.stdout, stderr: slow.stderr})
    assert.is(fast.status, 0)
    assert.is(fast.stdout, canned.texts[key])
  })
}

// [why, argv, env]: oclif answers (and its answer is not the canned one where it says so)
const others: [string, string[], Record<string, string>][] = [
  ['colour asked for (FORCE_COLOR)', ['--help'], {FORCE_COLOR: '1', NO_COLOR: ''}],
  ['colour asked for (COLORTERM)', ['capture', '--help'], {COLORTERM: 'truecolor', NO_COLOR: '', FORCE_COLOR: ''}],
  ['an unknown command', ['help', 'nosuch'], {}],
  ['help with another word', ['help', 'capture', 'extra'], {}],
  ['a misspelt command', ['help', 'captur'], {}],
  ['a flag with --help', ['capture', '--json', '--help'], {}],
]
for (const [why, argv, env] of others) {
  help(`help-fast :: sockwatch ${argv.join(' ')}: ${why}: oclif answers`, () => {
    const r = run(argv, env)
    assert.is(r.oclif, true)
    if (why.startsWith('colour')) {
      assert.is(r.status, 0)
      assert.ok(r.stdout.includes('\x1b['), 'no colour')
    }
    if (why === 'an unknown command') {
      // was oclif's boxed " ›   Error: Command nosuch not found."
      assert.is(r.status, 2)
      assert.is(r.stdout, '')
      assert.is(r.stderr, "sockwatch: 'nosuch' is not a sockwatch command; 'sockwatch --help' lists the commands\n")
    }
    if (why === 'a misspelt command') {
      assert.is(r.status, 2)
      assert.is(r.stderr, "sockwatch: 'captur' is not a sockwatch command; did you mean 'sockwatch capture'?\n")
    }
    if (why === 'help with another word') {
      assert.is(r.status, 0) // oclif's Help shows capture's, as before
      assert.is(r.stdout, canned.texts[JSON.stringify(['help', 'capture'])])
    }
  })
}

/** The CLI on a terminal `cols` wide (script(1) gives it one); what it printed, CRLF undone. */
const onTerminal = (argv: string[], cols: number) => {
  const cmd = `stty cols ${cols} rows 50; exec ${[CLI, ...argv].map((a) => `'${a}'`).join(' ')}`
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {cwd: ROOT, env: {PATH: process.env.PATH, HOME: dir, NO_COLOR: '1'}, encoding: 'utf8', timeout: 30_000})
  return {status: r.status, stdout: r.stdout.replaceAll('\r\n', '\n')}
}

help('help-fast :: on a terminal 120 columns wide, oclif wraps at 120 as before (not the canned 80)', () => {
  const tty = onTerminal(['capture', '--help'], 120)
  const wide = run(['capture', '--help'], {OCLIF_COLUMNS: '120'})
  assert.is(tty.status, 0)
  assert.is(tty.stdout, wide.stdout)
  assert.is.not(tty.stdout, canned.texts[JSON.stringify(['capture', '--help'])])
})

help('help-fast :: --help > /dev/full: one sentence, exit 1, as oclif; | head: no error', () => {
  const full = openSync('/dev/full', 'w')
  try {
    const env = {PATH: process.env.PATH!, HOME: dir, NO_COLOR: '1'}
    const fast = spawnSync(CLI, ['--help'], {env, encoding: 'utf8', stdio: ['ignore', full, 'pipe'], timeout: 30_000})
    const slow = spawnSync(CLI, ['--help'], {env: {...env, OCLIF_COLUMNS: '80'}, encoding: 'utf8', stdio: ['ignore', full, 'pipe'], timeout: 30_000})
    assert.is(fast.stderr, 'sockwatch: cannot write to standard output: No space left on device\n')
    assert.is(fast.status, 1)
    assert.equal([fast.status, fast.stderr], [slow.status, slow.stderr])
  } finally {
    closeSync(full)
  }
  const head = spawnSync('sh', ['-c', `'${CLI}' --help | head -c 1`], {env: {PATH: process.env.PATH!, NO_COLOR: '1'}, encoding: 'utf8', timeout: 30_000})
  assert.is(head.stdout, 'W')
  assert.is(head.stderr, '')
})

help.run()
