// capture -w against the oracles: tcpdump -w captures the same traffic, and
// tcpdump -r and tshark -r read sockwatch's pcapng and pcap files without a
// warning, line for line the same as tcpdump's own file (timestamps aside).
// Loopback in a namespace of its own (IPv4, IPv6, the owning process in each
// packet's comment), a veth pair (both directions, 802.1Q and QinQ frames
// whose outer tag the receiving kernel moved into metadata), `-w -` into
// tshark, tcpdump's -C/-W rotation under a flood with sequence numbers, and a
// ring too small on purpose: the drops in the file equal the closing line's.
// Live -X, -A and -s: the kernel's bytes dump as tcpdump -r -X/-A dumps its own file.
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {CLI, inNetns, startTcpdump} from '../helpers/integration-capture.js'
import {macOf, makeNetns, makeVethPair, type VethPair} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc, type Proc} from '../helpers/integration-proc.js'
import {sendUdpFrom} from '../helpers/integration-traffic.js'

const CRAFT = fileURLToPath(new URL('../helpers/craft-frames.py', import.meta.url))
const UDP_SEQ = fileURLToPath(new URL('../helpers/udp-seq.mjs', import.meta.url))

const pw = suite('capture -w')
const ctx = {} as {ns: {name: string; remove(): void}; pair: VethPair; dir: string}

/** `sockwatch capture ARGS` in a namespace, once it says it is capturing. */
async function startCapture(ns: string, args: string[]): Promise<Proc> {
  const proc = startProc(...inNetns(ns, process.execPath, [CLI, 'capture', ...args]))
  await proc.waitFor('stderr', /capturing on/, 60_000)
  return proc
}

/** Stops a capture with Ctrl-C; its closing line's counts. */
async function stopCapture(proc: Proc): Promise<{captured: number; dropped: number}> {
  const {code} = await proc.stop('SIGINT', 30_000)
  assert.is(code, 0, proc.stderr.join('\n'))
  const line = proc.stderr.map((l) => /^(\d+) packets? captured, (\d+) dropped/.exec(l)).find(Boolean)
  assert.ok(line, `no closing line in: ${proc.stderr.join(' | ')}`)
  return {captured: Number(line![1]), dropped: Number(line![2])}
}

/** stdout lines of a reader, which must say nothing on stderr but what it always says. */
function read(cmd: 'tcpdump' | 'tshark', args: string[]): string[] {
  const r = spawnSync(cmd, args, {encoding: 'utf8', maxBuffer: 1 << 28})
  const noise = r.stderr.split('\n').filter((l) => l && !/^reading from file .*, link-type \S+ \(.*\), snapshot length \d+$/.test(l) && !/^Running as user "root"/.test(l))
  assert.equal(noise, [], `${cmd} ${args.join(' ')} warned`)
  assert.is(r.status, 0)
  return r.stdout.split('\n').filter(Boolean)
}

/** tcpdump -r -nn -e, each line without its timestamp. */
const tcpdumpLines = (file: string) => read('tcpdump', ['-r', file, '-nn', '-e']).filter((l) => !l.startsWith('\t')).map((l) => l.replace(/^\S+ /, ''))

/** tshark -r FILE -T fields -e each field, one array a packet. */
const tsharkFields = (file: string, fields: string[], extra: string[] = []) =>
  read('tshark', ['-r', file, ...extra, '-T', 'fields', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f])]).map((l) => l.split('\t'))

/** The values of a pcapng block-level field over the whole file (tshark's file dissector). */
const blockValues = (file: string, field: string) =>
  read('tshark', ['-r', file, '-X', 'read_format:MIME Files Format', '-T', 'fields', '-e', field]).flatMap((l) => l.split(',')).filter(Boolean).map(Number)

pw.before(() => {
  preflight(['ip', 'nsenter', 'tcpdump', 'tshark', '/usr/bin/python3'])
  ctx.dir = mkdtempSync(join(tmpdir(), 'sockwatch-pcap-'))
  ctx.ns = makeNetns('pw')
  ctx.pair = makeVethPair('pw')
})

pw.after(() => {
  ctx.ns?.remove()
  ctx.pair?.remove()
  if (ctx.dir) rmSync(ctx.dir, {recursive: true, force: true})
})

pw('capture -w :: loopback, IPv4 and IPv6: pcapng and pcap read as tcpdump -w\'s own file, the process in each comment', async () => {
  const ns = ctx.ns.name
  const ng = join(ctx.dir, 'lo.pcapng')
  const classic = join(ctx.dir, 'lo.pcap')
  const tcpdump = await startTcpdump('lo', 'udp', ns)
  const clis = [await startCapture(ns, ['-i', 'lo', '-w', ng, 'udp']), await startCapture(ns, ['-i', 'lo', '-w', classic, 'udp'])]
  sendUdpFrom(ns, '127.0.0.1', 'sink', 5, 100)
  sendUdpFrom(ns, '::1', 'sink', 5, 200)
  const oracle = await tcpdump.finish(() => sendUdpFrom(ns, '127.0.0.1', 'sink', 1, 333), (l) => l.includes('length 333'))
  try {
    const counts = await Promise.all(clis.map(stopCapture))
    assert.equal(counts, [{captured: 11, dropped: 0}, {captured: 11, dropped: 0}])
    const expected = tcpdumpLines(oracle.file)
    assert.is(expected.length, 11)
    assert.equal(tcpdumpLines(ng), expected)
    assert.equal(tcpdumpLines(classic), expected)
    // tshark: the same packets, each inbound on lo, with its owner's comment
    const fields = tsharkFields(ng, ['frame.len', 'frame.interface_name', 'frame.packet_flags_direction', 'frame.comment', 'ip.src', 'ipv6.src'])
    assert.equal(fields.map((f) => f[0]), tsharkFields(oracle.file, ['frame.len']).map((f) => f[0]))
    for (const [, ifname, dir, comment, v4, v6] of fields) {
      assert.is(ifname, 'lo')
      assert.is(dir, '0x00000001')
      assert.match(comment, /^pid [1-9]\d* comm node$/)
      assert.ok(v4 === '127.0.0.1' || v6 === '::1')
    }
    // each of the three senders binds its own sink: 5, 5 and 1 packets, each run its own pid
    const pids = fields.map((f) => /^pid (\d+)/.exec(f[3])![1])
    const runs = pids.reduce<number[]>((n, pid, i) => (i && pid === pids[i - 1] ? [...n.slice(0, -1), n.at(-1)! + 1] : [...n, 1]), [])
    assert.equal(runs, [5, 5, 1], pids.join(' '))
    assert.is(new Set(pids).size, 3)
    assert.equal(tsharkFields(classic, ['frame.len']).map((f) => f[0]), fields.map((f) => f[0]))
  } finally {
    oracle.dispose()
  }
})

pw('capture -w :: veth: both directions, 802.1Q and QinQ tags put back as libpcap does, IPv6; tcpdump and tshark agree', async () => {
  const pair = ctx.pair
  const mac = macOf(pair.nsA, pair.ifA)
  const filter = ['udp', 'or', 'vlan']
  const recvFile = join(ctx.dir, 'veth-in.pcapng')
  const sendFile = join(ctx.dir, 'veth-out.pcapng')
  const tcpdump = await startTcpdump(pair.ifA, 'udp or ether proto 0x88b5 or vlan', pair.nsA)
  const recv = await startCapture(pair.nsA, ['-i', pair.ifA, '-w', recvFile, ...filter])
  const send = await startCapture(pair.nsB, ['-i', pair.ifB, '-w', sendFile, 'udp'])
  sendUdpFrom(pair.nsB, pair.addrA, 9, 4, 120)
  sendUdpFrom(pair.nsB, pair.addr6A, 9, 4, 240)
  for (const frame of ['vlan', 'qinq']) execFileSync('ip', ['netns', 'exec', pair.nsB, '/usr/bin/python3', CRAFT, pair.ifB, mac, pair.addrB, pair.addrA, pair.addr6B, pair.addr6A, frame])
  const oracle = await tcpdump.finish(
    () => execFileSync('ip', ['netns', 'exec', pair.nsB, '/usr/bin/python3', CRAFT, pair.ifB, mac, pair.addrB, pair.addrA, pair.addr6B, pair.addr6A, 'other']),
    (l) => l.includes('0x88b5'),
  )
  try {
    const [r, s] = [await stopCapture(recv), await stopCapture(send)]
    // tcpdump's own file ends with the marker frame, which the filter keeps out of ours
    const expected = tcpdumpLines(oracle.file).filter((l) => !l.includes('0x88b5'))
    assert.is(expected.length, 10, expected.join('\n'))
    assert.equal(r, {captured: 10, dropped: 0})
    assert.equal(tcpdumpLines(recvFile), expected)
    assert.ok(expected.some((l) => /vlan 100/.test(l)) && expected.some((l) => /vlan 200.*vlan 300/.test(l)), expected.join('\n'))
    const inbound = tsharkFields(recvFile, ['frame.packet_flags_direction', 'frame.interface_name'])
    assert.equal(inbound.map((f) => f[0]), Array(10).fill('0x00000001'))
    assert.equal(inbound.map((f) => f[1]), Array(10).fill(pair.ifA))
    // tshark decodes the tags as it does tcpdump's file
    const decoded = ['frame.len', 'eth.type', 'vlan.id', 'ieee8021ad.id', 'ip.len', 'ipv6.plen', 'udp.dstport', 'udp.length']
    assert.equal(tsharkFields(recvFile, decoded), tsharkFields(oracle.file, decoded).slice(0, 10))
    assert.equal(tsharkFields(recvFile, ['vlan.id', 'ieee8021ad.id']).filter((f) => f.some(Boolean)), [['100', ''], ['300', '200']])
    // the sending side: the 8 datagrams (the crafted frames go out of a packet socket, also seen), outbound
    const outbound = tsharkFields(sendFile, ['frame.packet_flags_direction', 'udp.dstport'])
    assert.is(s.captured, outbound.length)
    assert.equal(outbound.filter((f) => f[1] === '9').map((f) => f[0]), Array(8).fill('0x00000002'))
  } finally {
    oracle.dispose()
  }
})

pw('capture -w - :: the pcapng stream piped into tshark -r - reads whole', async () => {
  const ns = ctx.ns.name
  const [cmd, args] = inNetns(ns, process.execPath, [CLI, 'capture', '-i', 'lo', '-w', '-', 'udp'])
  // a real pipe, as a shell makes it (tshark refuses to read a socket)
  const script = '{ "$@" & echo "cli pid $!" >&2; wait; } | tshark -r - -T fields -e udp.length -e frame.comment'
  const pipeline = startProc('sh', ['-c', script, 'sh', cmd, ...args])
  await pipeline.waitFor('stderr', /capturing on/, 60_000)
  const pid = Number(/cli pid (\d+)/.exec(await pipeline.waitFor('stderr', /^cli pid /))![1])
  sendUdpFrom(ns, '127.0.0.1', 'sink', 7, 77)
  process.kill(pid, 'SIGINT')
  const {code} = await pipeline.exited
  assert.is(code, 0, pipeline.stderr.join('\n'))
  const said = pipeline.stderr.filter((l) => l && !/^Running as user "root"|^cli pid |^sockwatch: capturing on/.test(l))
  assert.equal(said, ['7 packets captured, 0 dropped'])
  const lines = pipeline.stdout.filter(Boolean)
  assert.equal(lines.map((l) => l.split('\t')[0]), Array(7).fill('85'))
  assert.ok(lines.every((l) => /\tpid \d+ comm node$/.test(l)), lines.join('\n'))
})

/** The dump lines (hex or ASCII) that follow each packet line of a -X/-A text output, one array a packet. */
function dumps(lines: string[], packetLine: RegExp): string[][] {
  const out: string[][] = []
  for (const line of lines) {
    if (packetLine.test(line)) out.push([])
    else if (out.length) out.at(-1)!.push(line)
  }
  return out
}

pw('capture -X, -A, -s live :: the kernel\'s bytes dump as tcpdump -r -X/-A dumps the same packets; -s cuts them', async () => {
  const ns = ctx.ns.name
  const tcpdump = await startTcpdump('lo', 'udp', ns)
  const hex = await startCapture(ns, ['-i', 'lo', '-X', 'udp'])
  const ascii = await startCapture(ns, ['-i', 'lo', '-A', 'udp'])
  const cut = await startCapture(ns, ['-i', 'lo', '-X', '-s', '60', 'udp'])
  // sizes around the 16-byte line and the 60-byte snaplen, both families
  for (const size of [0, 1, 15, 16, 17, 100, 1400]) {
    sendUdpFrom(ns, '127.0.0.1', 'sink', 1, size)
    sendUdpFrom(ns, '::1', 'sink', 1, size)
  }
  const oracle = await tcpdump.finish(() => sendUdpFrom(ns, '127.0.0.1', 'sink', 1, 333), (l) => l.includes('length 333'))
  try {
    const counts = await Promise.all([hex, ascii, cut].map(stopCapture))
    assert.equal(counts.map((c) => c.captured), [15, 15, 15])
    const packetLine = /^\d\d:\d\d:\d\d\.\d+ /
    const dumped = (args: string[]) => dumps(read('tcpdump', ['-r', oracle.file, '-nn', ...args]), packetLine)
    const expectedHex = dumped(['-X'])
    assert.is(expectedHex.length, 15)
    assert.equal(dumps(hex.stdout.filter(Boolean), packetLine), expectedHex)
    assert.equal(dumps(ascii.stdout.filter(Boolean), packetLine), dumped(['-A']))
    // -s 60 keeps 60 bytes from the Ethernet header: 46 of the IP datagram, or all of a shorter one
    const cutDumps = dumps(cut.stdout.filter(Boolean), packetLine)
    const bytesOf = (lines: string[]) => lines.reduce((n, l) => n + (/^\t0x[0-9a-f]{4}:\s+((?:[0-9a-f]{2,4} ?)+)/.exec(l)?.[1].replace(/ /g, '').length ?? 0) / 2, 0)
    assert.equal(cutDumps.map(bytesOf), expectedHex.map((d) => Math.min(bytesOf(d), 46)))
    // the first 32 bytes are whole lines in both: the same, ASCII column too
    assert.equal(cutDumps.map((d) => d.slice(0, 2)), expectedHex.map((d) => d.slice(0, 2)))
  } finally {
    oracle.dispose()
  }
})

pw('capture -w -C 1 -W 3 :: a flood of 2500 numbered datagrams fills exactly 3 files, each datagram in one of them once', async () => {
  const ns = ctx.ns.name
  const sub = mkdtempSync(join(ctx.dir, 'rot-'))
  const base = join(sub, 'ring.pcapng')
  const cli = await startCapture(ns, ['-i', 'lo', '-w', base, '-C', '1', '-W', '3', 'udp'])
  execFileSync('ip', ['netns', 'exec', ns, process.execPath, UDP_SEQ, '127.0.0.1', '2500', '1000'])
  const counts = await stopCapture(cli)
  assert.equal(counts, {captured: 2500, dropped: 0})
  // tcpdump's names: -W 3 numbers them with one digit, from 0
  assert.equal(readdirSync(sub).sort(), ['ring.pcapng0', 'ring.pcapng1', 'ring.pcapng2'])
  const seqs: number[] = []
  for (const name of ['ring.pcapng0', 'ring.pcapng1', 'ring.pcapng2']) {
    const file = join(sub, name)
    const payloads = tsharkFields(file, ['data.data']).map((f) => Number.parseInt(f[0].slice(0, 8), 16))
    assert.ok(payloads.length > 0, name)
    if (name !== 'ring.pcapng2') assert.ok(statSync(file).size > 1_000_000 && statSync(file).size < 1_002_000, `${name}: ${statSync(file).size}`)
    seqs.push(...payloads)
  }
  assert.equal(seqs, Array.from({length: 2500}, (_, i) => i))
})

pw('capture -w -G 1 -W 2 :: a new strftime-named file each second, and the run ends by itself after the second, as tcpdump', async () => {
  const ns = ctx.ns.name
  const sub = mkdtempSync(join(ctx.dir, 'g-'))
  const cli = await startCapture(ns, ['-i', 'lo', '-w', join(sub, 'g-%s.pcapng'), '-G', '1', '-W', '2', 'udp'])
  let ended = false
  void cli.exited.then(() => (ended = true))
  // a datagram at a time (each a process start apart) until the second period ends the run
  for (let i = 0; i < 200 && !ended; i++) sendUdpFrom(ns, '127.0.0.1', 'sink', 1, 64)
  const {code} = await cli.exited
  assert.is(code, 0, cli.stderr.join('\n'))
  const names = readdirSync(sub).sort()
  assert.is(names.length, 2, names.join(' '))
  const [t0, t1] = names.map((n) => Number(/^g-(\d+)\.pcapng$/.exec(n)?.[1]))
  assert.ok(t1 - t0 >= 1, `${names}`)
  const counts = names.map((n) => tsharkFields(join(sub, n), ['frame.number']).length)
  // the first file is empty only if no packet came in its second (a very slow start), as tcpdump's
  assert.ok(counts[1] > 0, `packets per file: ${counts}`)
  const closing = cli.stderr.map((l) => /^(\d+) packets? captured, 0 dropped/.exec(l)).find(Boolean)
  // the packet that ends the run is counted and not written, as tcpdump counts it
  assert.ok(closing && Number(closing[1]) > counts[0] + counts[1], cli.stderr.join(' | '))
})

pw('capture -w :: a ring too small on purpose: the file\'s drop counts are the closing line\'s', async () => {
  const ns = ctx.ns.name
  const file = join(ctx.dir, 'drops.pcapng')
  const cli = await startCapture(ns, ['-i', 'lo', '-w', file, '--ring-size', '8K', 'udp'])
  execFileSync('ip', ['netns', 'exec', ns, process.execPath, UDP_SEQ, '127.0.0.1', '3000', '1400'])
  const {captured, dropped} = await stopCapture(cli)
  assert.ok(dropped > 0, 'the ring was meant to overflow')
  assert.is(captured + dropped, 3000)
  const packets = tsharkFields(file, ['frame.number', 'frame.drop_count'])
  assert.is(packets.length, captured)
  const carried = packets.map((f) => Number(f[1] || 0)).reduce((a, b) => a + b, 0)
  assert.ok(carried > 0 && carried <= dropped, `epb_dropcount sum ${carried}, dropped ${dropped}`)
  // the statistics blocks: every drop, and every packet received, once
  const isbDrops = blockValues(file, 'pcapng.options.option.data.interface.dropped')
  assert.is(isbDrops.reduce((a, b) => a + b, 0), dropped, `ISB drops ${isbDrops}, carried ${carried}, captured ${captured}`)
  assert.is(blockValues(file, 'pcapng.options.option.data.interface.received').reduce((a, b) => a + b, 0), captured + dropped)
})

pw('capture -w :: a full disk ends the capture with one sentence and exit 1; what was written reads whole', async () => {
  const ns = ctx.ns.name
  const disk = mkdtempSync(join(ctx.dir, 'full-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'sockwatch-test', disk])
  try {
    const file = join(disk, 'full.pcapng')
    const cli = await startCapture(ns, ['-i', 'lo', '-w', file, 'udp'])
    execFileSync('ip', ['netns', 'exec', ns, process.execPath, UDP_SEQ, '127.0.0.1', '2000', '1000'])
    const {code} = await cli.exited
    assert.is(code, 1, cli.stderr.join('\n'))
    const said = cli.stderr.filter((l) => l && !/^sockwatch: capturing on/.test(l))
    // the counts so far (the CLI's closing line for a run that ended in an error), then why
    assert.is(said.length, 2, said.join('\n'))
    assert.match(said[0], /^\d+ packets captured, 0 dropped$/)
    assert.is(said[1], `sockwatch: cannot write to '${file}': No space left on device`)
    // the whole blocks before the failure: tshark reads them, numbered from 0
    const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'data.data'], {encoding: 'utf8', maxBuffer: 1 << 26})
    const seqs = r.stdout.split('\n').filter(Boolean).map((h) => Number.parseInt(h.slice(0, 8), 16))
    assert.ok(seqs.length > 500 && seqs.length < 2000, `${seqs.length} packets`)
    assert.equal(seqs, Array.from({length: seqs.length}, (_, i) => i))
  } finally {
    execFileSync('umount', [disk])
  }
})

pw.run()
