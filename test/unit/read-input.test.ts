// What `-r FILE|-` accepts before any line is read, for capture and summary alike:
// a file or stdin, gzip'd or not, with or without a UTF-8 BOM; a directory or an
// unreadable file is one sentence (exit 1); a pcap or pcapng file goes through
// sockwatch-read, and a malformed one is one sentence with its byte offset (exit 6).
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {describeReadError} from '../../src/capture/input.js'
import {CLI, runCli} from '../helpers/unit-cli.js'
import {fixturePath} from '../helpers/unit-fixtures.js'

const input = suite('read-input')
const dir = mkdtempSync(join(tmpdir(), 'sockwatch-read-input-'))
input.after(() => rmSync(dir, {recursive: true, force: true}))

const NO_SIDECAR = {SOCKWATCH_SIDECAR: '/nonexistent/sidecar'}
const STACK = '    at '
let files = 0
/** Writes bytes to a fresh file and returns its path. */
function file(bytes: string | Buffer, name = 'input'): string {
  const p = join(dir, `${name}-${++files}`)
  writeFileSync(p, bytes)
  return p
}

/** Runs the built CLI with `stdin` as its standard input. */
function withStdin(args: string[], stdin: Buffer | string) {
  const {NODE_OPTIONS: _, ...env} = process.env
  const run = spawnSync(CLI, args, {input: stdin, encoding: 'utf8', env: {...env, ...NO_SIDECAR, TZ: 'UTC', FORCE_COLOR: '0', NO_COLOR: '1'}})
  return {status: run.status, stdout: run.stdout, stderr: run.stderr}
}

const udp = (n: number, len = 71) => `{"v":1,"type":"packet","ts":1700000000.${String(n).padStart(6, '0')},"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp","src":"127.0.0.1","dst":"127.0.0.1","sport":40000,"dport":${n},"len":${len}}`
const TWO = `${udp(1)}\n${udp(2)}\n`
const PCAP = fixturePath('ping-lo.pcap') // tcpdump -w on lo, microseconds, little-endian
const PCAP_NS = fixturePath('ping-lo-nano.pcap') // tcpdump --time-stamp-precision=nano -w
/** The same pcap header with the magic in the other byte order (a big-endian writer's file). */
const pcapBigEndian = () => Buffer.concat([Buffer.from([0xa1, 0xb2, 0xc3, 0xd4]), readFileSync(PCAP).subarray(4)])
/** A pcapng section header block: type 0x0A0D0D0A, length 28, byte-order magic, version 1.0. */
const PCAPNG = Buffer.from('0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000', 'hex')

const COMMANDS = ['capture', 'summary'] as const

// ---- files that are not a saved capture ----

const refused: [string, () => string, number, (path: string) => string][] = [
  ['a directory', () => dir, 1, (p) => `cannot read '${p}': it is a directory; give a file saved with 'sockwatch capture --json', or - for stdin`],
  ['a missing file', () => join(dir, 'nope.ndjson'), 1, (p) => `cannot read '${p}': no such file; give a file saved with 'sockwatch capture --json', or - for stdin`],
  ['a pcap file with a big-endian magic but little-endian fields', () => file(pcapBigEndian(), 'be.pcap'), 6, (p) => `'${p}' is malformed at byte 24: unsupported pcap savefile version 512.1024; records before it were written`],
  ['a pcapng file with no interface', () => file(PCAPNG, 'x.pcapng'), 6, (p) => `'${p}' is malformed at byte 28: the capture file has no Interface Description Blocks; records before it were written`],
  ['gzip data that is corrupt', () => file(Buffer.concat([gzipSync(TWO).subarray(0, 10), Buffer.from('not deflate data at all')]), 'bad.gz'), 1, (p) => `cannot read '${p}': its gzip data is corrupt (invalid block type); give a file saved with 'sockwatch capture --json', or - for stdin`],
]
for (const command of COMMANDS) {
  for (const [what, make, status, message] of refused) {
    input(`read-input :: ${command} -r: ${what} is one sentence, exit ${status}`, () => {
      const p = make()
      const r = runCli([command, '-r', p], NO_SIDECAR)
      assert.is(r.stderr.trim(), `sockwatch: ${message(p)}`)
      assert.is(r.status, status)
      assert.is(r.stdout, '')
      assert.not.ok(r.stderr.includes(STACK))
    })
  }

  input(`read-input :: ${command} -r -: a malformed pcapng on stdin is named as such, exit 6`, () => {
    const r = withStdin([command, '-r', '-'], PCAPNG)
    assert.is(r.stderr.trim(), 'sockwatch: stdin is malformed at byte 28: the capture file has no Interface Description Blocks; records before it were written')
    assert.is(r.status, 6)
  })
}

// ---- pcap files (tcpdump -w on lo: two pings), however they arrive: the reader's records ----

const ping = (ts: string, type: number) => `{"v":1,"type":"packet","ts":1796139667.${ts},"ifindex":0,"ifname":"","dir":"unknown","family":4,"proto":"icmp","src":"127.0.0.1","dst":"127.0.0.1","len":98,"paylen":64,"icmp_type":${type},"icmp_code":0,"pid":null,"comm":null,"uid":null,"cgroup":null,"container":null}`
const PINGS = [ping('493382', 8), ping('493395', 0), ping('695349', 8), ping('695364', 0)].join('\n') + '\n'
const pcaps: [string, () => Buffer][] = [
  ['a pcap file (tcpdump -w)', () => readFileSync(PCAP)],
  ['a nanosecond pcap file', () => readFileSync(PCAP_NS)],
  ['a gzip\'d pcap file', () => gzipSync(readFileSync(PCAP))],
]
for (const [what, bytes] of pcaps) {
  input(`read-input :: capture -r FILE --json: ${what}: its four packets`, () => {
    const r = runCli(['capture', '-r', file(bytes()), '--json'], NO_SIDECAR)
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stdout, PINGS)
    assert.is(r.stderr.trim(), '4 packets read, 0 malformed lines skipped')
  })

  input(`read-input :: capture -r - --json: ${what} on stdin: its four packets`, () => {
    const r = withStdin(['capture', '-r', '-', '--json'], bytes())
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stdout, PINGS)
  })

  input(`read-input :: summary -r FILE: ${what}: four packets counted`, () => {
    const r = runCli(['summary', '-r', file(bytes()), '--by', 'proto'], NO_SIDECAR)
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stderr.trim(), '4 packets in 1 protocol, 0 malformed lines skipped')
  })
}

/** A pcapng block: type, length, body padded to 4, length again (little-endian). */
function block(type: number, body: Buffer): Buffer {
  const padded = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)])
  const head = Buffer.alloc(8)
  head.writeUInt32LE(type, 0)
  head.writeUInt32LE(padded.length + 12, 4)
  return Buffer.concat([head, padded, head.subarray(4, 8)])
}
/** An option: code, length, value padded to 4. */
function option(code: number, value: Buffer): Buffer {
  const head = Buffer.alloc(4)
  head.writeUInt16LE(code, 0)
  head.writeUInt16LE(value.length, 2)
  return Buffer.concat([head, value, Buffer.alloc((4 - (value.length % 4)) % 4)])
}
const u32 = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n)
  return b
}
/** The first ping of ping-lo.pcap in a pcapng file whose interface is named, with each EPB's epb_flags (0: none). */
function pcapngWithFlags(flags: number[]): Buffer {
  const frame = readFileSync(PCAP).subarray(24 + 16, 24 + 16 + 98)
  const shb = block(0x0a0d0d0a, Buffer.concat([u32(0x1a2b3c4d), Buffer.from([1, 0, 0, 0]), Buffer.alloc(8, 0xff), option(0, Buffer.alloc(0))]))
  const idb = block(1, Buffer.concat([Buffer.from([1, 0, 0, 0]), u32(262144), option(2, Buffer.from('eth9')), option(0, Buffer.alloc(0))]))
  const epbs = flags.map((f, i) => block(6, Buffer.concat([u32(0), u32(0x00061a8b), u32(0x1c7c4b40 + i), u32(98), u32(98), frame, Buffer.alloc(2), ...(f ? [option(2, u32(f)), option(0, Buffer.alloc(0))] : [])])))
  return Buffer.concat([shb, idb, ...epbs])
}

input('read-input :: a pcapng file: dir from each packet\'s epb_flags (inbound, outbound, none), ifname from its interface block', () => {
  const r = runCli(['capture', '-r', file(pcapngWithFlags([1, 2, 0]), 'flags.pcapng'), '--json'], NO_SIDECAR)
  assert.is(r.status, 0, r.stderr)
  const packets = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l))
  assert.equal(packets.map((p) => [p.ifname, p.dir, p.icmp_type]), [['eth9', 'in', 8], ['eth9', 'out', 8], ['eth9', 'unknown', 8]])
})

input('read-input :: a pcapng file cut inside its third packet block: two records, then the block\'s offset, exit 6', () => {
  const whole = pcapngWithFlags([1, 2, 0])
  let third = 0
  for (let i = 0; i < 4; i++) third += whole.readUInt32LE(third + 4) // SHB, IDB, two EPBs
  const p = file(whole.subarray(0, whole.length - 20), 'cut.pcapng')
  const r = runCli(['capture', '-r', p, '--json'], NO_SIDECAR)
  assert.is(r.stdout.split('\n').filter(Boolean).length, 2)
  assert.match(r.stderr.trim(), new RegExp(`^sockwatch: '${p}' is malformed at byte ${third}: `))
  assert.is(r.status, 6)
})

input('read-input :: capture -r FILE.pcap FILTER: libpcap filters the bytes (icmp[icmptype] is not a record field)', () => {
  const r = runCli(['capture', '-r', PCAP, '--json', 'icmp[icmptype] == icmp-echoreply'], NO_SIDECAR)
  assert.is(r.status, 0, r.stderr)
  assert.is(r.stdout, [ping('493395', 0), ping('695364', 0)].join('\n') + '\n')
})

input('read-input :: capture -r FILE.pcap with a filter libpcap refuses: its sentence, exit 2', () => {
  const r = runCli(['capture', '-r', PCAP, 'tcp port 99999'], NO_SIDECAR)
  assert.is(r.stderr.trim(), "sockwatch: the filter 'tcp port 99999' does not compile for this file's link type (EN10MB): illegal port number 99999 > 65535")
  assert.is(r.status, 2)
})

input('read-input :: a pcap file cut inside its third packet: two records, then the sentence with the offset, exit 6', () => {
  const whole = readFileSync(PCAP)
  const p = file(whole.subarray(0, 24 + 2 * (16 + 98) + 16 + 40), 'cut.pcap')
  const r = runCli(['capture', '-r', p, '--json'], NO_SIDECAR)
  assert.is(r.stdout, [ping('493382', 8), ping('493395', 0)].join('\n') + '\n')
  assert.is(r.stderr.trim(), `sockwatch: '${p}' is malformed at byte 252: truncated dump file; tried to read 98 captured bytes, only got 40; records before it were written`)
  assert.is(r.status, 6)
})

// ---- the same two packets, however they arrive ----

const readable: [string, () => Buffer][] = [
  ['plain NDJSON', () => Buffer.from(TWO)],
  ['gzip\'d NDJSON', () => gzipSync(TWO)],
  ['NDJSON with a UTF-8 BOM', () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TWO)])],
  ['gzip\'d NDJSON with a BOM', () => gzipSync(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TWO)]))],
  ['gzip\'d NDJSON in two gzip members (cat a.gz b.gz)', () => Buffer.concat([gzipSync(udp(1) + '\n'), gzipSync(udp(2) + '\n')])],
]
for (const [what, bytes] of readable) {
  input(`read-input :: capture -r FILE: ${what}: both packets, nothing malformed`, () => {
    const r = runCli(['capture', '-r', file(bytes()), '--json'], NO_SIDECAR)
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stdout, TWO)
    assert.is(r.stderr.trim(), '2 packets read, 0 malformed lines skipped')
  })

  input(`read-input :: capture -r -: ${what} on stdin: both packets, nothing malformed`, () => {
    const r = withStdin(['capture', '-r', '-', '--json'], bytes())
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stdout, TWO)
    assert.is(r.stderr.trim(), '2 packets read, 0 malformed lines skipped')
  })

  input(`read-input :: summary -r FILE: ${what}: both packets counted`, () => {
    const r = runCli(['summary', '-r', file(bytes()), '--by', 'proto'], NO_SIDECAR)
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stderr.trim(), '2 packets in 1 protocol, 0 malformed lines skipped')
  })
}

input('read-input :: an empty file: nothing read, no complaint', () => {
  const r = runCli(['capture', '-r', file('')], NO_SIDECAR)
  assert.is(r.status, 0, r.stderr)
  assert.is(r.stderr.trim(), '0 packets read, 0 malformed lines skipped')
})

input('read-input :: a gzip\'d file cut short keeps what came before, then one sentence, exit 1', () => {
  const many = Array.from({length: 2000}, (_, i) => udp(i + 1)).join('\n') + '\n'
  const gz = gzipSync(many)
  const p = file(gz.subarray(0, gz.length - 100), 'cut.gz')
  const r = runCli(['capture', '-r', p, '--json'], NO_SIDECAR)
  assert.is(r.status, 1)
  assert.is(r.stderr.trim().split('\n').at(-1), `sockwatch: cannot read '${p}': its gzip data ends early (the file is cut short); give a file saved with 'sockwatch capture --json', or - for stdin`)
  assert.ok(r.stdout.split('\n').length > 1000, 'the packets before the cut')
})

// ---- the closing line of capture -r ----

const FLOWS = fixturePath('summary-flows.ndjson')
const closing: [string, () => string, string][] = [
  ['one packet', () => file(udp(1) + '\n'), '1 packet read, 0 malformed lines skipped'],
  ['one malformed line', () => file(`${udp(1)}\nnoise\n${udp(2)}\n`), '2 packets read, 1 malformed line skipped'],
  ['a flows stream', () => FLOWS, "0 packets read, 0 dropped when captured, 0 malformed lines skipped: the input holds 6 flow records (flows mode), which 'sockwatch summary -r' reads"],
  ['one flow record', () => file(readFileSync(FLOWS, 'utf8').split('\n')[1] + '\n'), "0 packets read, 0 malformed lines skipped: the input holds 1 flow record (flows mode), which 'sockwatch summary -r' reads"],
]
for (const [what, make, line] of closing) {
  input(`read-input :: capture -r closing line: ${what}`, () => {
    const r = runCli(['capture', '-r', make(), '--format', 'text'], NO_SIDECAR)
    assert.is(r.status, 0, r.stderr)
    assert.is(r.stderr.trim().split('\n').at(-1), line)
  })
}

// ---- summary -r: a line the schema forbids is skipped, not counted ----

input('read-input :: summary -r: a negative len is a malformed line, not bytes taken away', () => {
  const r = runCli(['summary', '-r', file(`${udp(1, 100)}\n${udp(1, -5)}\n`), '--json'], NO_SIDECAR)
  assert.is(r.status, 0, r.stderr)
  const totals = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).at(-1)
  assert.equal([totals.packets, totals.bytes], [1, 100])
  assert.equal(r.stderr.trim().split('\n'), [
    'sockwatch: line 2: packet record\'s "len" should be an integer from 0 to 4294967295, got -5 (skipped)',
    '1 packet in 1 flow, 1 malformed line skipped',
  ])
})

input.run()

// ---- the sentence for each way opening can fail ----

const reasons = suite('read-input-errors')
const errno = (code: string, message = `${code}: something, open 'x'`) => Object.assign(new Error(message), {code})
const HINT = "; give a file saved with 'sockwatch capture --json', or - for stdin"
const cases: [string, Error, string][] = [
  ['ENOENT', errno('ENOENT'), `cannot read 'x': no such file${HINT}`],
  ['EISDIR', errno('EISDIR'), `cannot read 'x': it is a directory${HINT}`],
  ['EACCES', errno('EACCES'), "cannot read 'x': permission denied; run as a user who can read it, or pipe it in with 'sudo cat x |' and -r -"],
  ['EPERM', errno('EPERM'), "cannot read 'x': permission denied; run as a user who can read it, or pipe it in with 'sudo cat x |' and -r -"],
  ['ENOTDIR', errno('ENOTDIR'), `cannot read 'x': a part of the path is not a directory${HINT}`],
  ['ELOOP', errno('ELOOP'), `cannot read 'x': too many symbolic links${HINT}`],
  ['EIO', errno('EIO', "EIO: i/o error, read"), "cannot read 'x': an I/O error (EIO); the disk or the file system failed"],
  ['an error without a code', new Error('it broke'), "cannot read 'x': it broke"],
]
for (const [what, error, sentence] of cases) {
  reasons(`read-input-errors :: ${what}`, () => {
    assert.is(describeReadError('x', error).message, sentence)
  })
}

reasons.run()
