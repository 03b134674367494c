// capture's sidecar started ahead (bin/run.js -> src/prestart.ts): which command lines
// qualify, that a capture takes the one started ahead only when it would have started
// exactly that one, and that a capture starts exactly one sidecar either way.
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {prestartable} from '../../src/prestart.js'
import {prestartSidecar, startSidecar} from '../../src/sidecar/spawn.js'
import {fake, runCli} from '../helpers/unit-cli.js'
import {fixturePath} from '../helpers/unit-fixtures.js'

const ahead = suite('prestart')
const dir = mkdtempSync(join(tmpdir(), 'sockwatch-prestart-'))
ahead.after(() => rmSync(dir, {recursive: true, force: true}))
let files = 0
const fresh = () => join(dir, `starts-${++files}`)
/** Reads a stream to its end, as capture() does (for await). */
const drain = async (stream: AsyncIterable<unknown>) => {
  for await (const _ of stream) void _
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
const starts = (file: string) => readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).length

// [argv after 'capture', what starts ahead (undefined: nothing)]
const forms: [string[], ReturnType<typeof prestartable>][] = [
  [['--json'], {interfaces: [], filter: undefined}],
  [['-i', 'lo', '--json'], {interfaces: ['lo'], filter: undefined}],
  [['--json', '--interface', 'lo', '-i', 'eth0'], {interfaces: ['lo', 'eth0'], filter: undefined}],
  [['-i', 'lo', 'udp', 'port', '53', '--json'], {interfaces: ['lo'], filter: 'udp port 53'}],
  [['--json', 'tcp[tcpflags] & tcp-syn != 0'], {interfaces: [], filter: 'tcp[tcpflags] & tcp-syn != 0'}],
  [[], undefined], // the table or text: the CLI reads the packets
  [['-i', 'lo'], undefined],
  [['-i', 'lo', '--json', '-c', '3'], undefined], // any other flag: the command decides
  [['--json', '-r', 'file'], undefined],
  [['--json', '--format', 'json'], undefined],
  [['--json', '-i'], undefined],
  [['--json', '-i', '--json'], undefined],
  [['--json', '--', 'udp'], undefined],
  [['--json', '-v'], undefined],
]
for (const [argv, want] of forms) {
  ahead(`prestart :: capture ${argv.join(' ') || '(nothing)'}: ${want ? 'started ahead' : 'left to the command'}`, () => {
    assert.equal(prestartable(argv), want)
  })
}

const records = fixturePath('capture.ndjson')
const options = (args: string[], _file: string) => ({path: fixturePath('fake-sidecar.sh'), args, direct: false})
const withEnv = async <T>(env: Record<string, string>, f: () => Promise<T>) => {
  const saved = {...process.env}
  Object.assign(process.env, env)
  try {
    return await f()
  } finally {
    for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k]
  }
}

ahead('prestart :: a capture takes the sidecar started ahead with the same command line', async () => {
  const file = fresh()
  await withEnv({FAKE_RECORDS: records, FAKE_STARTS: file}, async () => {
    const early = prestartSidecar(options(['-i', 'lo'], file))
    const taken = startSidecar(options(['-i', 'lo'], file))
    assert.is(taken, early)
    await drain(taken.stdout) // as a capture reads them
    await taken.exited
  })
  assert.is(starts(file), 1)
})

ahead('prestart :: with another command line, the one started ahead is stopped and a new one started', async () => {
  const file = fresh()
  await withEnv({FAKE_RECORDS: records, FAKE_STARTS: file}, async () => {
    const early = prestartSidecar(options(['-i', 'lo'], file))
    const taken = startSidecar(options(['-i', 'eth0'], file))
    assert.is.not(taken, early)
    await drain(taken.stdout)
    // asked to stop, its records drained unread (it may go before it has even noted its start)
    const [stopped, ran] = await Promise.all([early.exited, taken.exited])
    // the fake ends 0 on SIGTERM once its trap is set; before that, of the signal
    assert.ok(stopped.exitCode === 0 || stopped.signal === 'SIGTERM', JSON.stringify(stopped))
    assert.is(ran.exitCode, 0)
  })
  assert.ok(starts(file) >= 1)
})

ahead('prestart :: a sidecar that ended before a capture took it still hands over every record', async () => {
  const file = fresh()
  let text = ''
  await withEnv({FAKE_RECORDS: records, FAKE_STARTS: file}, async () => {
    const early = prestartSidecar(options(['-i', 'lo'], file))
    // until it has exited and been reaped (its 'exit': Node then drains what nobody reads);
    // not `exited`, which waits for its output to be read
    for (let waited = 0; alive(early.pid!); waited += 10) {
      if (waited > 10_000) assert.unreachable('the fake sidecar did not exit within 10 s')
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    await new Promise((resolve) => setImmediate(resolve))
    const taken = startSidecar(options(['-i', 'lo'], file))
    assert.is(taken, early)
    for await (const chunk of taken.stdout) text += chunk
    await taken.exited
  })
  assert.is(text, readFileSync(records, 'utf8'))
})

ahead('prestart :: nothing started ahead: a new one', async () => {
  const file = fresh()
  await withEnv({FAKE_RECORDS: records, FAKE_STARTS: file}, async () => {
    const taken = startSidecar(options(['-i', 'lo'], file))
    await drain(taken.stdout)
    await taken.exited
  })
  assert.is(starts(file), 1)
})

// through the CLI: whichever path, one sidecar, the same arguments as without it
const cli: [string[], string[]][] = [
  [['-i', 'lo', '--json'], ['-i', 'lo', '--stats-interval', '0', '--control', '3']],
  [['-i', 'lo', 'udp', 'port', '53', '--json'], ['-i', 'lo', '--filter', 'udp port 53', '--stats-interval', '0', '--control', '3']],
  [['-i', 'lo', '--json', '-c', '2'], ['-i', 'lo', '-c', '2', '--stats-interval', '0', '--control', '3']],
]
for (const [argv, args] of cli) {
  ahead(`prestart :: sockwatch capture ${argv.join(' ')} starts one sidecar`, () => {
    const file = fresh()
    const argsFile = fresh()
    const r = runCli(['capture', ...argv], {...fake('fake-sidecar.sh'), FAKE_RECORDS: records, FAKE_STARTS: file, FAKE_ARGS: argsFile})
    assert.is(r.status, 0, r.stderr)
    assert.is(starts(file), 1)
    assert.equal(readFileSync(argsFile, 'utf8').trim().split('\n'), args)
  })
}

ahead.run()
