#!/usr/bin/env node
import {readFileSync, writeSync} from 'node:fs'
import {isatty} from 'node:tty'

const argv = process.argv.slice(2)
if (argv.length === 1 && ['--version', '-V', 'version'].includes(argv[0])) {
  // --version alone is answered before oclif loads (its import is most of a start-up):
  // the same line oclif's config.userAgent gives, from package.json
  const {name, version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  print(`${name}/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  const help = cannedHelp(argv)
  if (help !== undefined) print(help)
  else {
    // `capture [-i IFACE]... --json [FILTER]` runs without oclif (src/prestart.ts): the
    // sidecar writes the stream, the CLI only starts it and reports; any other command line,
    // or a checkout before `make` (its one sentence below), goes to oclif
    const quick = argv[0] === 'capture' && (await import('../dist/bundle/prestart.js').catch(() => undefined))
    if (!quick || !(await quick.prestart(argv.slice(1)))) await run()
  }
}

/**
 * oclif's help for this command line, as `make` had oclif print it (scripts/gen-help.mjs),
 * when oclif would print exactly that now: stdout not a terminal (then oclif wraps at 80
 * columns), no colour asked for, the same Node (the root help names it); else undefined.
 */
function cannedHelp(words) {
  const env = process.env
  // ansis (oclif's colours) colours a pipe too for FORCE_COLOR, COLORTERM, a CI's or pm2's
  // variables; NO_COLOR or FORCE_COLOR=0 turn it off. DEBUG: oclif's own log on stderr.
  const off = env.NO_COLOR || env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false'
  const colour = !off && ['FORCE_COLOR', 'COLORTERM', 'TF_BUILD', 'CI', 'PM2_HOME', 'NEXT_RUNTIME'].some((k) => k in env)
  if (colour || Object.keys(env).some((k) => k.startsWith('TEAMCI')) || env.OCLIF_COLUMNS || env.DEBUG || env.SOCKWATCH_DEBUG) return undefined
  let help
  try {
    help = JSON.parse(readFileSync(new URL('../dist/help.json', import.meta.url), 'utf8'))
  } catch {
    return undefined // not built (yet): oclif, or the sentence saying to run make
  }
  if (help.node !== process.version || help.platform !== process.platform || help.arch !== process.arch) return undefined
  const key = JSON.stringify(words)
  // isatty: process.stdout.isTTY would make the stream, which print() does without
  if (!Object.hasOwn(help.texts, key) || isatty(1)) return undefined
  return help.texts[key]
}

/** Writes text to stdout; a reader gone (EPIPE) is no error; any other failure is one sentence and exit 1, as for oclif's output. */
function print(text) {
  // writeSync: process.stdout's stream would cost more than the rest of this path
  const bytes = Buffer.from(text)
  let at = 0
  try {
    while (at < bytes.length) at += writeSync(1, bytes, at)
  } catch (error) {
    if (error.code !== 'EAGAIN') return stdoutFailed(error)
    // a full non-blocking pipe: the stream waits for the reader
    process.stdout.on('error', stdoutFailed)
    process.stdout.write(bytes.subarray(at))
  }
}

async function stdoutFailed(error) {
  if (error.code === 'EPIPE') return
  const {systemErrorText} = await import('../dist/bundle/main.js')
  process.stderr.write(`sockwatch: cannot write to standard output: ${systemErrorText(error)}\n`)
  process.exit(1)
}

async function run() {
  // one bundled module (make): oclif, the commands, their libraries
  const bundle = new URL('../dist/bundle/main.js', import.meta.url)
  const {execute, systemErrorText} = await import(bundle.href).catch((error) => {
    // a checkout before `make`: one sentence, not Node's stack trace
    if (error.code !== 'ERR_MODULE_NOT_FOUND' || error.url !== bundle.href) throw error
    process.stderr.write(`sockwatch: the CLI is not built (${bundle.pathname} is missing); run 'make' in ${new URL('..', import.meta.url).pathname}\n`)
    process.exit(1)
  })
  // oclif rethrows every stdout error but EPIPE from an 'error' listener: a stack
  // trace. Streaming commands watch stdout themselves (and end with their closing
  // line); for anything else, one sentence and exit 1.
  process.stdout.removeAllListeners('error')
  process.stdout.on('error', (error) => {
    if (error.code === 'EPIPE' || process.stdout.listenerCount('error') > 1) return
    process.stderr.write(`sockwatch: cannot write to standard output: ${systemErrorText(error)}\n`)
    process.exit(1)
  })
  await execute({dir: import.meta.url})
}
