#!/usr/bin/env node
// --version alone is answered before oclif loads (its import is most of a start-up):
// the same line oclif's config.userAgent gives, from package.json.
const argv = process.argv.slice(2)
if (argv.length === 1 && ['--version', '-V', 'version'].includes(argv[0])) {
  const {readFileSync, writeSync} = await import('node:fs')
  const {name, version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  try {
    writeSync(1, `${name}/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
  } catch (error) {
    if (error.code !== 'EPIPE') {
      const {systemErrorText} = await import('../dist/bundle/main.js')
      process.stderr.write(`sockwatch: cannot write to standard output: ${systemErrorText(error)}\n`)
      process.exitCode = 1
    }
  }
} else {
  // `capture [-i IFACE]... --json [FILTER]` runs without oclif (src/prestart.ts): the
  // sidecar writes the stream, the CLI only starts it and reports; any other command line,
  // or a checkout before `make` (its one sentence below), goes to oclif
  const quick = argv[0] === 'capture' && (await import('../dist/bundle/prestart.js').catch(() => undefined))
  if (!quick || !(await quick.prestart(argv.slice(1)))) await run()
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
