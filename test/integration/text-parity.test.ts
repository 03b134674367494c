// Text output has two formatters: the sidecar's (sidecar/text.c, a live capture to a
// pipe or a file) and the CLI's (src/output/text.ts, -r and the other paths). They share
// the contract's names (TEXT_WORDS) and must print the same bytes for the same packets.
// Every crafted frame shape (test/helpers/craft-shapes.py), sent both ways over a veth
// pair the test makes, is captured once by the real sidecar writing text AND a pcapng of
// the same packets (same stamps); then:
//   - the sidecar's live lines == the CLI's formatter on the records read back from it;
//   - sockwatch-read --text (the same C formatter) == the CLI's formatter on every -t form,
//     with and without -e, -X and -A, and in four time zones; and on a file of the forms
//     the shapes do not send (test/helpers/craft-text-forms.py: ICMP/ICMPv6 types and
//     codes, GRE, SCTP, other IP protocols, ARP opcodes, named ethertypes);
//   - through the CLI: `capture > file` hands the sidecar the file (it writes the lines
//     itself) and its lines, owner suffix included, equal the formatter's on a --json
//     capture of the same traffic.
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {execFileSync, spawn} from 'node:child_process'
import {closeSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {PacketRecord} from '../../src/sidecar/records.js'
import {textFormatter, type Stamp, type TextOptions} from '../../src/output/text.js'
import {CLI, ROOT, SIDECAR, inNetns} from '../helpers/integration-capture.js'
import {macOf, makeNetns, makeVethPair, type VethPair} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc} from '../helpers/integration-proc.js'
import {sendUdpFrom} from '../helpers/integration-traffic.js'

const test = suite('text parity')

const CRAFT = fileURLToPath(new URL('../helpers/craft-shapes.py', import.meta.url))
const FORMS = fileURLToPath(new URL('../helpers/craft-text-forms.py', import.meta.url))
const READER = join(ROOT, 'build/sockwatch-read')
const PYTHON = '/usr/bin/python3'
const dir = mkdtempSync(join(tmpdir(), 'sockwatch-text-parity-'))
const ctx = {} as {pair: VethPair; live: string; pcapng: string; shapes: number}

function craft(ns: string, iface: string, d: number, dstMac: string, addrs: string[], only: string[] = []): number {
  const out = execFileSync('ip', ['netns', 'exec', ns, PYTHON, CRAFT, iface, String(d), dstMac, ...addrs, ...only], {encoding: 'utf8'})
  return out.split('\n').filter(Boolean).length
}

/** The reader's packet records of a file, with MACs and bytes. */
function records(file: string): PacketRecord[] {
  const out = execFileSync(READER, ['--macs', '--data', file], {encoding: 'utf8', maxBuffer: 1 << 28})
  return out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as PacketRecord)
}

/** What the CLI's formatter prints for these records. */
function tsText(packets: PacketRecord[], options: TextOptions): string {
  const format = textFormatter(options)
  return packets.map((p) => format(p) + '\n').join('')
}

/** Line by line, the first few that differ (a readable failure). */
function diff(c: string, ts: string): string[] {
  const a = c.split('\n')
  const b = ts.split('\n')
  const out: string[] = []
  for (let i = 0; i < Math.max(a.length, b.length) && out.length < 6; i++) if (a[i] !== b[i]) out.push(`line ${i + 1}:\n    C  ${JSON.stringify(a[i])}\n    TS ${JSON.stringify(b[i])}`)
  return out
}

test.before(async () => {
  try {
    await setUp()
  } catch (error) {
    console.error('text parity: setting up failed:', error)
    throw error
  }
})

async function setUp() {
  preflight(['ip', 'nsenter', PYTHON])
  execFileSync(PYTHON, ['-c', 'import scapy.all'], {stdio: 'pipe'}) // python3-scapy: a failure, never a skip
  const pair = (ctx.pair = makeVethPair('tp'))
  for (const [ns, dev] of [[pair.nsA, pair.ifA], [pair.nsB, pair.ifB]]) execFileSync('ip', ['-n', ns, 'link', 'set', dev, 'mtu', '9100'])
  const macA = macOf(pair.nsA, pair.ifA)
  const macB = macOf(pair.nsB, pair.ifB)
  ctx.pcapng = join(dir, 'live.pcapng')
  // only the crafted frames (source MACs 02:5e:...); text with epoch stamps, -e and -X, and the same packets to a pcapng
  const args = ['-i', pair.ifA, '--filter', 'ether[6:2] == 0x025e', '--stats-interval', '0', '--text', '--stamp', '2', '--macs', '--data', '--dump', 'hex', '-w', ctx.pcapng, '--control', '3']
  const [cmd, argv] = inNetns(pair.nsA, SIDECAR, args)
  const child = spawn(cmd, argv, {stdio: ['ignore', 'pipe', 'pipe', 'pipe']})
  let out = ''
  let control = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s))
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s))
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  const control$ = child.stdio[3] as NodeJS.ReadableStream
  const until = async (what: string, ok: () => boolean) => {
    for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 50))
    if (!ok()) throw new Error(`the sidecar: no ${what} within 10 s; stderr: ${stderr}`)
  }
  control$.setEncoding('utf8')
  control$.on('data', (s: string) => (control += s))
  await until('ready record', () => control.includes('"type":"ready"'))
  ctx.shapes = craft(pair.nsB, pair.ifB, 1, macA, [pair.addrB, pair.addrA, pair.addr6B, pair.addr6A]) +
    craft(pair.nsA, pair.ifA, 2, macB, [pair.addrA, pair.addrB, pair.addr6A, pair.addr6B])
  craft(pair.nsB, pair.ifB, 0xff, macA, [pair.addrB, pair.addrA, pair.addr6B, pair.addr6A], ['marker'])
  await until('marker line', () => out.includes('.31999: UDP'))
  child.kill('SIGTERM')
  assert.is(await exited, 0, stderr)
  assert.match(control, /"type":"stats".*"dropped":0,/)
  ctx.live = out
}

test.after(() => {
  ctx.pair?.remove()
  rmSync(dir, {recursive: true, force: true})
})

test('text parity :: the sidecar\'s live text (-tt -e -X) is the CLI formatter\'s on the same packets, read back from its pcapng', () => {
  const packets = records(ctx.pcapng)
  assert.ok(ctx.shapes >= 80, `${ctx.shapes} shapes sent`)
  assert.is(packets.length, ctx.shapes + 1, 'every shape and the marker, once')
  const want = tsText(packets, {stamp: 2, link: true, dump: 'hex'})
  assert.equal(diff(ctx.live, want), [])
  assert.is(ctx.live, want)
})

// every -t form, -e, -X and -A: the same C formatter in the file reader
const STAMPS: Stamp[] = [0, 1, 2, 3, 4, 5]
for (const link of [false, true]) {
  for (const dump of [undefined, 'hex', 'ascii'] as const) {
    test(`text parity :: sockwatch-read --text is the CLI's formatter for every -t form${link ? ', -e' : ''}${dump ? `, -${dump === 'hex' ? 'X' : 'A'}` : ''}`, () => {
      const packets = records(ctx.pcapng)
      for (const stamp of STAMPS) {
        const args = ['--text', '--stamp', String(stamp), ...(link ? ['--macs'] : []), ...(dump ? ['--dump', dump] : []), ctx.pcapng]
        const c = execFileSync(READER, args, {encoding: 'utf8', maxBuffer: 1 << 28})
        const ts = tsText(packets, {stamp, link, dump})
        assert.equal(diff(c, ts), [], `-t x${stamp}`)
      }
    })
  }
}

test('text parity :: local time (-t none given, -tttt) follows TZ on both sides', () => {
  const packets = records(ctx.pcapng)
  const saved = process.env.TZ
  try {
    for (const tz of ['UTC', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe']) {
      process.env.TZ = tz // Node reads it again when it changes
      for (const stamp of [0, 4] as const) {
        const c = execFileSync(READER, ['--text', '--stamp', String(stamp), ctx.pcapng], {encoding: 'utf8', env: {...process.env, TZ: tz}})
        assert.equal(diff(c, tsText(packets, {stamp})), [], `${tz} -t x${stamp}`)
      }
    }
    // the zones do differ: Kolkata is 5:30 from UTC
    const utc = execFileSync(READER, ['--text', ctx.pcapng], {encoding: 'utf8', env: {...process.env, TZ: 'UTC'}}).slice(0, 8)
    const ist = execFileSync(READER, ['--text', ctx.pcapng], {encoding: 'utf8', env: {...process.env, TZ: 'Asia/Kolkata'}}).slice(0, 8)
    assert.is.not(utc, ist)
  } finally {
    if (saved === undefined) delete process.env.TZ
    else process.env.TZ = saved
  }
})

test('text parity :: the forms the shapes do not send (ICMP/ICMPv6 types and codes, GRE, SCTP, other protocols, ARP opcodes, named ethertypes) read the same', () => {
  const file = join(dir, 'forms.pcap')
  const made = Number(execFileSync(PYTHON, [FORMS, file], {encoding: 'utf8'}).trim())
  const packets = records(file)
  assert.is(packets.length, made)
  const wrong: string[] = []
  for (const [link, dump] of [[false, undefined], [true, undefined], [false, 'hex'], [true, 'ascii']] as const) {
    for (const stamp of [1, 2] as const) {
      const args = ['--text', '--stamp', String(stamp), ...(link ? ['--macs'] : []), ...(dump ? ['--dump', dump] : []), file]
      wrong.push(...diff(execFileSync(READER, args, {encoding: 'utf8'}), tsText(packets, {stamp, link, dump})))
    }
  }
  assert.equal(wrong, [])
  // the words are there (a formatter printing nothing would agree with itself)
  const plain = execFileSync(READER, ['--text', '--stamp', '1', file], {encoding: 'utf8'})
  for (const words of ['ICMP 203.0.113.9 udp port 7777 unreachable', 'ICMP redirect 203.0.113.5', 'ip reassembly time exceeded', 'GREv0, length', ': sctp', 'ip-proto-200 24',
    'Flags [FSRP.UEW]', 'ICMP6, packet too big', 'unreachable port, 2001:db8::99 udp port 53', 'unknown unreach code (9)', 'ICMP6, type-#200', 'ARP, Unknown opcode 3', 'ethertype LLDP (0x88cc)']) {
    assert.ok(plain.includes(words), `no "${words}" in:\n${plain}`)
  }
})

// ---- through the CLI: `capture > file`, the sidecar writing the lines itself

/** The sidecar whose stdout is `file`, and its command line. */
async function sidecarWriting(file: string): Promise<string[] | undefined> {
  for (let i = 0; i < 50; i++) {
    for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
      try {
        const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0')
        if (cmd[0].endsWith('sockwatch-sidecar') && readlinkSync(`/proc/${p}/fd/1`) === file) return cmd
      } catch {
        // gone meanwhile
      }
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return undefined
}

test('text parity :: capture -t -e > file: the sidecar writes the file; its lines, owners included, are the formatter\'s on a --json capture of the same traffic', async () => {
  const ns = makeNetns('tpcli')
  try {
    const text = join(dir, 'cli.txt')
    const json = join(dir, 'cli.ndjson')
    // stdout a file, as the shell's `>` makes it (nsenter execs the CLI: the signal reaches it)
    const run = (args: string[], file: string) => {
      const fd = openSync(file, 'w')
      try {
        return startProc('nsenter', [`--net=/run/netns/${ns.name}`, process.execPath, CLI, 'capture', '-i', 'lo', ...args, 'udp'], {stdio: ['ignore', fd, 'pipe']})
      } finally {
        closeSync(fd)
      }
    }
    const a = run(['-t', '-e'], text)
    const b = run(['--json', '-e'], json)
    await a.waitFor('stderr', /^sockwatch: capturing on lo/)
    await b.waitFor('stderr', /^sockwatch: capturing on lo/)
    const cmd = await sidecarWriting(text)
    assert.ok(cmd, 'no sidecar writes the text file itself')
    assert.ok(cmd!.includes('--text') && cmd!.includes('--control'), cmd!.join(' '))
    sendUdpFrom(ns.name, '127.0.0.1', 'sink', 25, 100)
    // both have all 25 before they are stopped
    for (let i = 0; i < 100; i++) {
      const n = (f: string) => readFileSync(f, 'utf8').split('\n').filter((l) => l.includes('UDP') || l.includes('"udp"')).length
      if (n(text) >= 25 && n(json) >= 25) break
      await new Promise((r) => setTimeout(r, 50))
    }
    a.child.kill('SIGINT')
    b.child.kill('SIGINT')
    const [ea, eb] = await Promise.all([a.exited, b.exited])
    assert.equal([ea.code, eb.code], [0, 0], a.stderr.join('\n') + b.stderr.join('\n'))
    assert.ok(a.stderr.includes('25 packets captured, 0 dropped'), a.stderr.join('\n'))
    const packets = readFileSync(json, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.type === 'packet') as PacketRecord[]
    assert.is(packets.length, 25)
    const lines = readFileSync(text, 'utf8')
    assert.is(lines, tsText(packets, {stamp: 1, link: true}))
    // the owner suffix is there: the sender's process, as the JSON names it
    assert.ok(packets.every((p) => typeof p.pid === 'number'), 'every packet attributed')
    assert.match(lines.split('\n')[0], / \([^/ ]+\/\d+( <- [^/ ]+\/\d+)?\)$/)
  } finally {
    ns.remove()
  }
})

test.run()
