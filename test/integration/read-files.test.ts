// Reading capture files against the live capture of the same traffic: the filter
// tests' mix of crafted frames (IPv4/IPv6 TCP, UDP, ICMP and more, extension headers,
// fragments, ARP, 802.1Q and QinQ, LLC/STP; 60 to 9000 bytes, each its own length)
// is sent over a veth pair while, on the receiving side, `sockwatch capture --json`
// runs beside `tcpdump -w` (pcap), `tshark -w` (pcapng) and `tcpdump -i any -w`
// (Linux cooked SLL2). Then `capture -r` of each file must give the records the live
// capture gave, field for field, but for what a file cannot have (below); a filter
// must give exactly `tcpdump -r FILE FILTER`'s packets; and the reader runs as nobody.
import {execFileSync, spawnSync} from 'node:child_process'
import {chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {gzipSync} from 'node:zlib'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import type {PacketRecord} from '../../src/sidecar/records.js'
import {textFormatter} from '../../src/output/text.js'
import {CLI, ROOT, inNetns, pcapLengths, startTcpdump} from '../helpers/integration-capture.js'
import {macOf, makeNetns, makeVethPair, type VethPair} from '../helpers/integration-netns.js'
import {ping, sendUdpFrom} from '../helpers/integration-traffic.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc} from '../helpers/integration-proc.js'

const MIX = fileURLToPath(new URL('../helpers/filter-mix.py', import.meta.url))
const CRAFT = fileURLToPath(new URL('../helpers/craft-frames.py', import.meta.url))
const PYTHON = '/usr/bin/python3'
const READER = join(ROOT, 'build/sockwatch-read')

/** Fields a file cannot give, by kind; the rest must equal the live record's. */
const OWNER = ['pid', 'comm', 'uid', 'cgroup', 'container', 'runtime', 'peer_pid', 'peer_comm']
// ts: libpcap stamps a packet when its socket gets it, the kernel program when it runs: microseconds apart
const NOT_IN = {
  pcap: ['ts', 'ifindex', 'ifname', 'dir', ...OWNER],
  pcapng: ['ts', 'ifindex', 'dir', ...OWNER], // tshark names the interface, but writes no direction
  // the cooked header has the ifindex and the direction. VLAN-tagged frames are compared apart
  // (below): libpcap's SLL2 does not put back a tag the kernel took out of the frame
  sll2: ['ts', 'ifname', ...OWNER],
} as const
type Kind = keyof typeof NOT_IN

/** Filters checked against tcpdump -r on each file. */
const FILTERS = ['tcp', 'udp and port 53', 'icmp or icmp6', 'ip6', 'vlan', 'arp', 'greater 1000', 'tcp[tcpflags] & tcp-syn != 0', 'not ip and not ip6']

const rf = suite('read files')
const ctx = {} as {pair: VethPair; lo: {name: string; remove(): void}; dir: string; live: PacketRecord[]; files: Record<Kind, string>; sent: number; loLive: PacketRecord[]; loFile: string}

const sh = (ns: string, ...cmd: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...cmd], {stdio: 'pipe'})

/** `sockwatch capture -r FILE --json [FILTER]`: its packets, stderr and exit code. */
function readWithCli(file: string, filter: string[] = [], user?: string) {
  const args = [CLI, 'capture', '-r', file, '--json', ...filter]
  const run = user ? spawnSync('runuser', ['-u', user, '--', process.execPath, ...args], {encoding: 'utf8', maxBuffer: 1 << 28}) : spawnSync(process.execPath, args, {encoding: 'utf8', maxBuffer: 1 << 28})
  const packets = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as PacketRecord)
  return {packets, stderr: run.stderr, status: run.status}
}

/** A record as text without the fields `drop`, for comparing multisets. */
const canon = (r: PacketRecord, drop: readonly string[]) => JSON.stringify(Object.fromEntries(Object.entries(r).filter(([k]) => !drop.includes(k)).sort(([a], [b]) => a.localeCompare(b))))

rf.before(async () => {
  preflight(['ip', 'tcpdump', 'tshark', 'runuser', PYTHON])
  const pair = (ctx.pair = makeVethPair('r'))
  for (const [ns, dev] of [[pair.nsA, pair.ifA], [pair.nsB, pair.ifB]]) {
    sh(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1')
    execFileSync('ip', ['-n', ns, 'link', 'set', 'dev', dev, 'mtu', '9100'])
  }
  const mac = macOf(pair.nsA, pair.ifA)
  // a directory nobody may read: the unprivileged read needs it
  ctx.dir = mkdtempSync(join(tmpdir(), 'sockwatch-read-files-'))
  chmodSync(ctx.dir, 0o755)
  const pcapng = join(ctx.dir, 'tshark.pcapng')
  const live = startProc(...inNetns(pair.nsA, process.execPath, [CLI, 'capture', '-i', pair.ifA, '--json', '--ring-size', '4M']))
  // -P: it prints what it writes, so the test knows when the marker is in the file
  const tshark = startProc(...inNetns(pair.nsA, 'tshark', ['-i', pair.ifA, '-n', '-l', '-P', '-B', '32', '-w', pcapng]))
  const tcpdump = await startTcpdump(pair.ifA, '', pair.nsA)
  const any = await startTcpdump('any', '', pair.nsA)
  await live.waitFor('stderr', /capturing on/, 60_000)
  await tshark.waitFor('stderr', /Capturing on/, 60_000)
  const out = JSON.parse(sh(pair.nsB, PYTHON, MIX, pair.ifB, mac, 'ether', '64').toString())
  ctx.sent = out.lengths.length
  const marker = () => sh(pair.nsB, 'python3', CRAFT, pair.ifB, mac, pair.addrB, pair.addrA, pair.addr6B, pair.addr6A, 'other')
  const isMarker = (l: string) => l.includes('0x88b5')
  const pcap = await tcpdump.finish(marker, isMarker)
  const sll2 = await any.finish(() => undefined, isMarker)
  // the marker reached every socket on the device: live and tshark have it too
  await live.waitFor('stdout', (l) => l.includes('"ethertype":34997'), 30_000)
  await live.stop('SIGINT', 30_000)
  await tshark.waitFor('stdout', (l) => l.includes('0x88b5'), 30_000)
  await tshark.stop('SIGINT', 30_000)
  ctx.live = live.stdout.filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.type === 'packet')
  ctx.files = {pcap: join(ctx.dir, 'tcpdump.pcap'), pcapng, sll2: join(ctx.dir, 'any.pcap')}
  copyFileSync(pcap.file, ctx.files.pcap)
  copyFileSync(sll2.file, ctx.files.sll2)
  pcap.dispose()
  sll2.dispose()
  for (const f of Object.values(ctx.files)) chmodSync(f, 0o644)

  // loopback, in a namespace of its own: real pings and UDP (to a closed port: ICMP errors back)
  const lo = (ctx.lo = makeNetns('rl'))
  const loLive = startProc(...inNetns(lo.name, process.execPath, [CLI, 'capture', '-i', 'lo', '--json']))
  const loDump = await startTcpdump('lo', '', lo.name)
  await loLive.waitFor('stderr', /capturing on/, 60_000)
  ping('127.0.0.1', 3, lo.name)
  ping('::1', 3, lo.name)
  sendUdpFrom(lo.name, '127.0.0.1', 9, 3, 100)
  sendUdpFrom(lo.name, '::1', 9, 3, 200)
  const loPcap = await loDump.finish(() => sendUdpFrom(lo.name, '127.0.0.1', 7777, 1, 10), (l) => l.includes('.7777:'))
  await loLive.waitFor('stdout', (l) => l.includes('"dport":7777'), 30_000)
  await loLive.stop('SIGINT', 30_000)
  ctx.loLive = loLive.stdout.filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.type === 'packet')
  ctx.loFile = join(ctx.dir, 'lo.pcap')
  copyFileSync(loPcap.file, ctx.loFile)
  loPcap.dispose()
})

rf.after(() => {
  ctx.pair?.remove()
  ctx.lo?.remove()
  if (ctx.dir && !process.env.SOCKWATCH_KEEP) rmSync(ctx.dir, {recursive: true, force: true})
})

rf('read files :: the live capture has the whole mix, and each file is what tcpdump and tshark say it is', () => {
  assert.ok(ctx.sent >= 70, `${ctx.sent} frames sent`)
  assert.is(ctx.live.length, ctx.sent + 1, 'the mix and the marker, live')
  const linktype = (f: string) => execFileSync('capinfos', ['-T', '-E', '-r', f], {encoding: 'utf8'}).trim().split('\t').at(-1)
  assert.is(linktype(ctx.files.pcap), 'ether')
  assert.is(linktype(ctx.files.pcapng), 'ether')
  assert.is(linktype(ctx.files.sll2), 'linux-sll2')
  assert.is(readFileSync(ctx.files.pcapng).readUInt32LE(0), 0x0a0d0d0a)
})

for (const kind of ['pcap', 'pcapng', 'sll2'] as const) {
  rf(`read files :: capture -r ${kind}: the live capture's records, field for field but ${NOT_IN[kind].filter((f) => !OWNER.includes(f)).join(', ')} and the owner`, () => {
    const read = readWithCli(ctx.files[kind])
    assert.is(read.status, 0, read.stderr)
    // -i any sees lo too, where tshark's extcap helpers knock at adb's port (127.0.0.1:5037)
    const ifindex = ctx.live[0].ifindex
    let packets = kind === 'sll2' ? read.packets.filter((p) => p.ifindex === ifindex) : read.packets
    let live = ctx.live
    if (kind === 'sll2') {
      assert.ok(read.packets.every((p) => p.ifindex === ifindex || (p.ifindex === 1 && p.src === '127.0.0.1')))
      assert.is(packets.length, ctx.live.length)
      // in the same order: the untagged frames field for field; the tagged ones lost their outer
      // tag (vlan, and 4 bytes of len; QinQ's inner tag then reads as the protocol)
      const tagged = ctx.live.map((p) => p.vlan !== undefined)
      live = ctx.live.filter((_, i) => !tagged[i])
      packets = packets.filter((_, i) => !tagged[i])
      assert.ok(live.length >= 60, `${live.length} untagged frames`)
    }
    assert.is(packets.length, live.length)
    // the same packets in the same order (every socket on a device sees them in one order)
    assert.equal(packets.map((p) => canon(p, NOT_IN[kind])), live.map((p) => canon(p, NOT_IN[kind])))
    // what a file cannot have is said so, never made up
    for (const p of packets) {
      assert.is(p.pid, null)
      if (kind === 'pcap') assert.equal([p.ifindex, p.ifname, p.dir], [0, '', 'unknown'])
      if (kind === 'pcapng') assert.equal([p.ifindex, p.ifname, p.dir], [0, ctx.pair.ifA, 'unknown'])
    }
    if (kind === 'sll2') assert.ok(packets.every((p) => p.dir === 'in'))
  })
}

rf('read files :: capture -r of tcpdump -w on lo: pings (IPv4, IPv6), UDP and its ICMP errors, as the live capture gave them', () => {
  const {packets, status, stderr} = readWithCli(ctx.loFile)
  assert.is(status, 0, stderr)
  // 3 + 3 echo requests and replies, 3 + 3 datagrams and their port unreachables, the marker and its error
  assert.is(ctx.loLive.length, 26)
  assert.equal(packets.map((p) => canon(p, NOT_IN.pcap)), ctx.loLive.map((p) => canon(p, NOT_IN.pcap)))
  assert.ok(packets.some((p) => p.proto === 'icmp6' && p.inner_dport === 9))
})

for (const filter of FILTERS) {
  rf(`read files :: capture -r pcap '${filter}': exactly tcpdump -r's packets`, () => {
    const {packets, status, stderr} = readWithCli(ctx.files.pcap, [filter])
    assert.is(status, 0, stderr)
    const theirs = pcapLengths(execFileSync('tcpdump', ['-r', ctx.files.pcap, '-w', '-', filter], {stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28}))
    assert.ok(theirs.length > 0, `${filter} selects something`)
    assert.equal(packets.map((p) => p.len), theirs, `${filter}: the same packets in the same order`)
  })
}

rf('read files :: capture -r sll2 with a filter: libpcap compiles it for the cooked link type, as tcpdump -r does', () => {
  const {packets, status} = readWithCli(ctx.files.sll2, ['udp'])
  assert.is(status, 0)
  const theirs = pcapLengths(execFileSync('tcpdump', ['-r', ctx.files.sll2, '-w', '-', 'udp'], {stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28}))
  assert.ok(theirs.length > 0)
  // a cooked length is the SLL2 header's 20 bytes, where the frame had its 14-byte Ethernet header
  assert.equal(packets.map((p) => p.len), theirs.map((n) => n - 20 + 14))
})

// -X and -A dump from the network-layer header. tcpdump does too, except where its own dissector
// decides otherwise: a header it finds cut short ([|ntp]) or a frame it cannot dissect (LLC, an
// unknown ethertype) it dumps from another offset; a tunnel (IPIP, GRE, Geneve, VXLAN) gets an inner
// line. Those are left out: the rest of the mix (IP, IPv6 and ARP) is compared byte for byte.
const DUMPED = '(ip or ip6 or arp) and not udp port 123 and not ip proto 4 and not ip proto 47 and not ip6 proto 41 and not udp port 6081 and not udp port 4789'

/** Text output with each packet's own line made one word: only the bytes after it are compared. */
const bytesOnly = (text: string) => text.replace(/^\d\d:\d\d:\d\d\.\d{6} .*$/gm, 'PACKET')

for (const [flag, kind] of [['-X', 'pcap'], ['-A', 'pcap'], ['-X', 'sll2'], ['-A', 'sll2']] as const) {
  rf(`read files :: capture -r ${kind} ${flag}: the bytes after each packet's line are tcpdump -r ${flag}'s`, () => {
    const ours = spawnSync(process.execPath, [CLI, 'capture', '-r', ctx.files[kind], flag, DUMPED], {encoding: 'utf8', maxBuffer: 1 << 28, env: {...process.env, TZ: 'UTC'}})
    assert.is(ours.status, 0, ours.stderr)
    const theirs = execFileSync('tcpdump', ['-r', ctx.files[kind], '-nn', flag, DUMPED], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28, env: {...process.env, TZ: 'UTC'}})
    assert.ok((theirs.match(/^\d\d:/gm) ?? []).length >= 50, 'at least 50 packets dumped')
    assert.is(bytesOnly(ours.stdout), bytesOnly(theirs))
  })
}

/** Each packet line's (-tt) first "MAC > MAC," (-e; a tunnel's inner frame may add another), in order. */
const macPairs = (text: string) => text.split('\n').filter((l) => /^\d+\.\d{6} /.test(l)).map((l) => /([0-9a-f]{2}(?::[0-9a-f]{2}){5} > [0-9a-f]{2}(?::[0-9a-f]{2}){5}),/.exec(l)?.[1])

for (const kind of ['pcap', 'pcapng', 'sll2'] as const) {
  rf(`read files :: capture -r ${kind} -e -tt in text (the reader writes the lines): the CLI formatter's lines over the --json -e records, and tcpdump -r -e's MAC addresses`, () => {
    const run = (args: string[]) => spawnSync(process.execPath, [CLI, 'capture', '-r', ctx.files[kind], ...args, 'udp'], {encoding: 'utf8', maxBuffer: 1 << 28, env: {...process.env, TZ: 'UTC'}})
    const text = run(['-e', '-tt'])
    const json = run(['-e', '--json'])
    assert.is(text.status, 0, text.stderr)
    assert.is(json.status, 0, json.stderr)
    const packets = json.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as PacketRecord)
    assert.ok(packets.length >= 10, 'at least 10 UDP packets')
    const line = textFormatter({stamp: 2, link: true})
    assert.is(text.stdout, packets.map((p) => `${line(p)}\n`).join(''))
    assert.is(text.stderr, json.stderr, 'the same closing line')
    if (kind !== 'sll2') {
      const theirs = execFileSync('tcpdump', ['-r', ctx.files[kind], '-nn', '-e', '-tt', 'udp'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28})
      assert.equal(macPairs(text.stdout), macPairs(theirs))
      assert.is(macPairs(text.stdout).length, packets.length, 'every line has its MAC addresses')
    }
  })
}

rf('read files :: capture -r pcap --json -X: packet records carry their bytes in hex, from the network-layer header on', () => {
  const run = spawnSync(process.execPath, [CLI, 'capture', '-r', ctx.files.pcap, '--json', '-X', 'icmp'], {encoding: 'utf8'})
  const packets = run.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as PacketRecord)
  assert.ok(packets.length > 0)
  for (const p of packets) assert.match(p.data ?? '', /^45[0-9a-f]+$/)
})

/** tcpdump -r FILE -nn -e -xx: every packet's line, timestamp included, and all its bytes. */
const tcpdumpFull = (file: string) => execFileSync('tcpdump', ['-r', file, '-nn', '-e', '-xx'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28, env: {...process.env, TZ: 'UTC'}})

for (const kind of ['pcap', 'pcapng', 'sll2'] as const) {
  rf(`read files :: capture -r ${kind} -w out FILTER: the packets tcpdump -r -w writes, bytes and timestamps, as pcap and as pcapng`, () => {
    const filter = 'udp or icmp6'
    const oracle = join(ctx.dir, `oracle-${kind}.pcap`)
    execFileSync('tcpdump', ['-r', ctx.files[kind], '-w', oracle, filter], {stdio: 'ignore'})
    const expected = tcpdumpFull(oracle)
    assert.ok((expected.match(/^\d\d:\d\d:\d\d\.\d{6} /gm) ?? []).length >= 10, 'at least 10 packets pass')
    for (const out of [join(ctx.dir, `out-${kind}.pcap`), join(ctx.dir, `out-${kind}.pcapng`)]) {
      const run = spawnSync(process.execPath, [CLI, 'capture', '-r', ctx.files[kind], '-w', out, filter], {encoding: 'utf8'})
      assert.is(run.status, 0, run.stderr)
      assert.is(tcpdumpFull(out), expected)
      // pcapng from a pcapng: each packet keeps its interface's name (tshark wrote no direction, nor do we)
      if (out.endsWith('.pcapng') && kind === 'pcapng') {
        const fields = execFileSync('tshark', ['-r', out, '-T', 'fields', '-e', 'frame.interface_name', '-e', 'frame.packet_flags_direction'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
        const lines = fields.split('\n').filter(Boolean)
        assert.is(lines.length, (expected.match(/^\d\d:\d\d:\d\d\.\d{6} /gm) ?? []).length)
        assert.equal([...new Set(lines)], [`${ctx.pair.ifA}\t`])
      }
    }
  })
}

rf('read files :: capture -r -w - into tshark; -w of a saved NDJSON stream and live-only flags are refused', () => {
  const piped = spawnSync('sh', ['-c', `'${process.execPath}' '${CLI}' capture -r '${ctx.files.pcap}' -w - -c 5 | tshark -r - -T fields -e frame.len`], {encoding: 'utf8'})
  assert.is(piped.status, 0, piped.stderr)
  assert.equal(piped.stdout.trim().split('\n'), execFileSync('tshark', ['-r', ctx.files.pcap, '-c', '5', '-T', 'fields', '-e', 'frame.len'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim().split('\n'))
  const ndjson = join(ctx.dir, 'saved.ndjson')
  writeFileSync(ndjson, `${JSON.stringify(ctx.live[0])}\n`)
  const refusals: [string[], RegExp][] = [
    [['-r', ndjson, '-w', join(ctx.dir, 'x.pcapng')], /^sockwatch: '.*saved\.ndjson' is not a pcap or pcapng file, so it holds no packet bytes for -w to write/],
    [['-r', ctx.files.pcap, '-w', join(ctx.dir, 'x.pcapng'), '-C', '1'], /^sockwatch: --file-size shapes a live capture's files/],
    [['-r', ctx.files.pcap, '-w', join(ctx.dir, 'x.pcapng'), '-s', '64'], /^sockwatch: --snaplen shapes a live capture's files/],
  ]
  for (const [args, sentence] of refusals) {
    const run = spawnSync(process.execPath, [CLI, 'capture', ...args], {encoding: 'utf8'})
    assert.is(run.status, 2, args.join(' '))
    assert.match(run.stderr, sentence)
  }
})

rf('read files :: gzip\'d, and on stdin: the same records', () => {
  const plain = readWithCli(ctx.files.pcapng).packets
  const gz = join(ctx.dir, 'tshark.pcapng.gz')
  writeFileSync(gz, gzipSync(readFileSync(ctx.files.pcapng)))
  assert.equal(readWithCli(gz).packets, plain)
  const stdin = spawnSync(process.execPath, [CLI, 'capture', '-r', '-', '--json'], {input: readFileSync(gz), encoding: 'utf8', maxBuffer: 1 << 28})
  assert.is(stdin.status, 0, stdin.stderr)
  assert.equal(stdin.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)), plain)
})

rf('read files :: as nobody, with no capability: the same records (the reader needs no privilege)', () => {
  assert.is(execFileSync('getcap', [READER], {encoding: 'utf8'}).trim(), '')
  const root = readWithCli(ctx.files.pcap).packets
  const nobody = readWithCli(ctx.files.pcap, [], 'nobody')
  assert.is(nobody.status, 0, nobody.stderr)
  assert.equal(nobody.packets, root)
})

/** Malformed copies of the tcpdump file: [what, bytes, the sentence after the file's name, records kept]. */
const malformed: [string, (pcap: Buffer) => Buffer, (pcap: Buffer) => string, (pcap: Buffer) => number][] = [
  ['a truncated packet record', (b) => b.subarray(0, b.length - 10), (b) => `is malformed at byte ${lastRecord(b)}: truncated dump file; tried to read ${b.readUInt32LE(lastRecord(b) + 8)} captured bytes, only got ${b.readUInt32LE(lastRecord(b) + 8) - 10}; records before it were written`, () => ctx.live.length - 1],
  ['snaplen 0', (b) => Buffer.concat([b.subarray(0, 16), Buffer.alloc(4), b.subarray(20)]), () => "is malformed at byte 16: the file header's snaplen is 0, so no packet could have a byte; records before it were written", () => 0],
  ['a huge record length in the 3rd record', (b) => withCaplen(b, 2, 0x7fffffff), (b) => `is malformed at byte ${recordAt(b, 2)}: invalid packet capture length 2147483647, bigger than snaplen of 262144; records before it were written`, () => 2],
]
const recordAt = (b: Buffer, n: number) => {
  let at = 24
  for (let i = 0; i < n; i++) at += 16 + b.readUInt32LE(at + 8)
  return at
}
const lastRecord = (b: Buffer) => recordAt(b, ctx.live.length - 1)
const withCaplen = (b: Buffer, n: number, caplen: number) => {
  const copy = Buffer.from(b)
  copy.writeUInt32LE(caplen, recordAt(b, n) + 8)
  return copy
}
for (const [what, make, sentence, kept] of malformed) {
  rf(`read files :: a pcap file with ${what}: one sentence with the byte offset, exit 6, the records before it kept`, () => {
    const pcap = readFileSync(ctx.files.pcap)
    const path = join(ctx.dir, `bad-${what.replaceAll(' ', '-')}.pcap`)
    writeFileSync(path, make(pcap))
    const {packets, stderr, status} = readWithCli(path)
    assert.is(stderr.trim().split('\n').at(-1), `sockwatch: '${path}' ${sentence(pcap)}`)
    assert.is(status, 6)
    assert.is(packets.length, kept(pcap))
    assert.not.match(stderr, /    at /)
  })
}

rf('read files :: sockwatch-read on a file with a wrong magic: one sentence, exit 6 (the CLI reads such a file as NDJSON)', () => {
  const path = join(ctx.dir, 'magic.pcap')
  writeFileSync(path, Buffer.concat([Buffer.from('0badf00d', 'hex'), readFileSync(ctx.files.pcap).subarray(4)]))
  const run = spawnSync(READER, [path], {encoding: 'utf8'})
  assert.is(run.stderr.trim(), `sockwatch: '${path}' is not a pcap or pcapng file (unknown file format); give a file written by tcpdump -w, tshark -w or Wireshark, or a saved 'sockwatch capture --json'`)
  assert.is(run.status, 6)
  assert.is(run.stdout, '')
})

rf('read files :: a pcapng file with a huge block length: the sentence names the block\'s offset, exit 6', () => {
  const ng = Buffer.from(readFileSync(ctx.files.pcapng))
  // the section header, then interface blocks, then packets: break the 5th block
  let at = 0
  for (let i = 0; i < 4; i++) at += ng.readUInt32LE(at + 4)
  ng.writeUInt32LE(0x7ffffff0, at + 4)
  const path = join(ctx.dir, 'huge.pcapng')
  writeFileSync(path, ng)
  const {stderr, status} = readWithCli(path)
  assert.match(stderr.trim(), new RegExp(`^sockwatch: '${path}' is malformed at byte ${at}: `))
  assert.is(status, 6)
})

rf.run()
