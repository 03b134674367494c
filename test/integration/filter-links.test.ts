// Filters on every kind of link, against tcpdump: loopback (Ethernet on Linux),
// a tun device (raw IP, no link-layer header, as WireGuard or ipip; this kernel
// has no tunnel modules, so packets are written to the tun), every
// interface at once (each packet judged by its own device's program), and a
// live `summary` (flows counted in the kernel) with a filter far bigger than
// the old clause table held. The frames are filter-mix.py's, each its own length.
import {execFileSync, spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import type {PacketRecord} from '../../src/sidecar/records.js'
import {CLI, inNetns, startTcpdump} from '../helpers/integration-capture.js'
import {macOf, makeNetns, makeVethPair, type VethPair} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc, type Proc} from '../helpers/integration-proc.js'

const MIX = fileURLToPath(new URL('../helpers/filter-mix.py', import.meta.url))
const CRAFT = fileURLToPath(new URL('../helpers/craft-frames.py', import.meta.url))
const PYTHON = '/usr/bin/python3'

const LOOPBACK = ['udp', 'tcp port 80 or tcp port 443', 'vlan 100', 'vlan and vlan 200', 'ether broadcast', 'ip6 and udp',
  'arp', 'greater 1000', 'icmp[icmptype] == icmp-echo', 'ip protochain 6', 'not ip and not ip6', 'ether src 00:00:00:00:00:00']
const TUNNEL = ['udp', 'tcp', 'icmp', 'host 198.51.100.7 and port 53', 'tcp[tcpflags] & tcp-syn != 0', 'ip[6:2] & 0x1fff != 0',
  'greater 1000', 'less 100', 'ip multicast', 'ip protochain 6', 'esp or ah or sctp', 'not udp']
// valid on both link types, and one that only Ethernet has: on the tunnel it matches nothing
const ANY = ['udp', 'tcp port 80 or udp port 53', 'greater 1000', 'ip proto 47 or icmp', 'ether broadcast or sctp']
// far past the old 8 clauses of 8 literals, for live summary's kernel flow counts
const BIG = Array.from({length: 24}, (_, i) => `udp port ${1990 + i}`).join(' or ') + ' or ' +
  Array.from({length: 24}, (_, i) => `host 203.0.113.${i + 1} and tcp`).join(' or ') + ' or (vlan 100 and udp) or ip6 protochain 17'

const sh = (ns: string, ...cmd: string[]) => execFileSync('ip', ['netns', 'exec', ns, ...cmd], {stdio: 'pipe'})
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b)
const quiet = (ns: string) => sh(ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1')

/** `sockwatch capture --json` per expression, started and ready. */
async function captures(ns: string, iface: string | undefined, exprs: string[]) {
  const procs = exprs.map((expr) => startProc(...inNetns(ns, process.execPath, [CLI, 'capture', ...(iface ? ['-i', iface] : []), '--json', '--ring-size', '1M', expr])))
  await Promise.all(procs.map((p) => p.waitFor('stderr', /capturing on/, 60_000)))
  return procs
}

async function stopAll(procs: Proc[]): Promise<PacketRecord[][]> {
  const out: PacketRecord[][] = []
  for (const p of procs) {
    const {code} = await p.stop('SIGINT', 30_000)
    assert.is(code, 0, p.stderr.join('\n'))
    out.push(p.stdout.filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.type === 'packet'))
  }
  return out
}

const fl = suite('filters on every link')
const ctx = {} as {pair: VethPair; lo: {name: string; remove(): void}}

fl.before(() => {
  preflight(['ip', 'tcpdump', PYTHON])
  const pair = (ctx.pair = makeVethPair('l'))
  ctx.lo = makeNetns('flo')
  for (const ns of [pair.nsA, pair.nsB, ctx.lo.name]) quiet(ns)
  for (const [ns, dev] of [[pair.nsA, pair.ifA], [pair.nsB, pair.ifB]]) execFileSync('ip', ['-n', ns, 'link', 'set', 'dev', dev, 'mtu', '9100'])
  // a layer-3 device beside the veth: what is written to the tun arrives on it
  execFileSync('ip', ['-n', pair.nsA, 'tuntap', 'add', 'dev', 'swip0', 'mode', 'tun'])
  execFileSync('ip', ['-n', pair.nsA, 'link', 'set', 'dev', 'swip0', 'up'])
})

fl.after(() => {
  ctx.pair?.remove()
  ctx.lo?.remove()
})

fl('filters on every link :: loopback: the mix on lo, each expression exactly tcpdump\'s', async () => {
  const ns = ctx.lo.name
  const tcpdump = await startTcpdump('lo', '', ns)
  const procs = await captures(ns, 'lo', LOOPBACK)
  const sent = JSON.parse(sh(ns, PYTHON, MIX, 'lo', '00:00:00:00:00:00', 'ether', '64').toString()).lengths as number[]
  const oracle = await tcpdump.finish(() => sh(ns, 'python3', CRAFT, 'lo', '00:00:00:00:00:00', '127.0.0.1', '127.0.0.1', '::1', '::1', 'other'), (l) => l.includes('0x88b5'))
  try {
    const results = await stopAll(procs)
    assert.equal(sorted(oracle.lengths('')), sorted([...sent, 60]), 'tcpdump saw the mix once, and nothing else')
    LOOPBACK.forEach((expr, i) => {
      const theirs = oracle.lengths(expr)
      assert.ok(theirs.length > 0, `'${expr}' selects something`)
      assert.equal(sorted(results[i].map((p) => p.len)), sorted(theirs), `lo: '${expr}'`)
    })
  } finally {
    oracle.dispose()
  }
})

fl('filters on every link :: a tun device (raw IP): each expression exactly tcpdump\'s', async () => {
  const {nsA} = ctx.pair
  const tcpdump = await startTcpdump('swip0', '', nsA)
  const procs = await captures(nsA, 'swip0', TUNNEL)
  const sent = JSON.parse(sh(nsA, PYTHON, MIX, 'swip0', 'tun', 'raw', '64').toString()).lengths as number[]
  const oracle = await tcpdump.finish(() => sh(nsA, PYTHON, MIX, 'swip0', 'tun', 'marker'), (l) => l.includes('.7777:'))
  try {
    const results = await stopAll(procs)
    assert.equal(sorted(oracle.lengths('not udp port 7777')), sorted(sent), 'tcpdump saw the tunnel\'s packets, and nothing else')
    assert.match(spawnSync('tcpdump', ['-r', oracle.file, '-c', '1'], {encoding: 'utf8'}).stderr, /link-type RAW/)
    TUNNEL.forEach((expr, i) => {
      const theirs = oracle.lengths(expr)
      assert.ok(theirs.length > 0, `'${expr}' selects something`)
      assert.equal(sorted(results[i].map((p) => p.len)), sorted(theirs), `swip0: '${expr}'`)
    })
  } finally {
    oracle.dispose()
  }
})

fl('filters on every link :: an Ethernet-only expression on the tunnel is refused, as tcpdump -r refuses it', () => {
  const r = execFileSync('sh', ['-c', `ip netns exec ${ctx.pair.nsA} ${process.execPath} ${CLI} capture -i swip0 -c 1 'ether broadcast' 2>&1; echo "exit $?"`], {encoding: 'utf8'})
  assert.match(r, /^sockwatch: the filter 'ether broadcast' is not valid on a device without a link-layer header: /)
  assert.match(r, /exit 2\n$/)
})

fl('filters on every link :: every interface at once: Ethernet and raw-IP packets, each by its own program', async () => {
  const {nsA, nsB, ifA, ifB} = ctx.pair
  const onVeth = await startTcpdump(ifA, '', nsA)
  const onTunnel = await startTcpdump('swip0', '', nsA)
  const procs = await captures(nsA, undefined, ANY)
  sh(nsB, PYTHON, MIX, ifB, macOf(nsA, ifA), 'ether', '64')
  sh(nsA, PYTHON, MIX, 'swip0', 'tun', 'raw', '3100')
  const tunnelOracle = await onTunnel.finish(() => sh(nsA, PYTHON, MIX, 'swip0', 'tun', 'marker'), (l) => l.includes('.7777:'))
  const vethOracle = await onVeth.finish(() => sh(nsB, 'python3', CRAFT, ifB, macOf(nsA, ifA), ctx.pair.addrB, ctx.pair.addrA, ctx.pair.addr6B, ctx.pair.addr6A, 'other'), (l) => l.includes('0x88b5'))
  try {
    const results = await stopAll(procs)
    ANY.forEach((expr, i) => {
      const rawValid = expr !== 'ether broadcast or sctp'
      const theirs = [...vethOracle.lengths(expr), ...(rawValid ? tunnelOracle.lengths(expr) : [])]
      assert.ok(theirs.length > 0, `'${expr}' selects something`)
      assert.equal(sorted(results[i].map((p) => p.len)), sorted(theirs), `any: '${expr}'`)
      assert.ok(results[i].some((p) => p.ifname === 'swip0') === rawValid, `'${expr}': packets from the tunnel ${rawValid ? 'expected' : 'not expected'}`)
    })
  } finally {
    vethOracle.dispose()
    tunnelOracle.dispose()
  }
})

fl('filters on every link :: live summary (flows in the kernel) with a filter the clause table could not hold: exact totals', async () => {
  const {nsA, nsB, ifA, ifB} = ctx.pair
  const tcpdump = await startTcpdump(ifA, '', nsA)
  const proc = startProc(...inNetns(nsA, process.execPath, [CLI, 'summary', '-i', ifA, '--json', BIG]))
  await proc.waitFor('stderr', /counting flows on/, 60_000)
  sh(nsB, PYTHON, MIX, ifB, macOf(nsA, ifA), 'ether', '64')
  const oracle = await tcpdump.finish(() => sh(nsB, 'python3', CRAFT, ifB, macOf(nsA, ifA), ctx.pair.addrB, ctx.pair.addrA, ctx.pair.addr6B, ctx.pair.addr6A, 'other'), (l) => l.includes('0x88b5'))
  try {
    const {code} = await proc.stop('SIGINT', 30_000)
    assert.is(code, 0, proc.stderr.join('\n'))
    const totals = proc.stdout.filter(Boolean).map((l) => JSON.parse(l)).find((r) => r.type === 'totals')
    const theirs = oracle.lengths(BIG)
    assert.ok(theirs.length >= 8, `${theirs.length} packets`)
    assert.is(totals.packets, theirs.length)
    assert.is(totals.bytes, theirs.reduce((a, b) => a + b, 0))
  } finally {
    oracle.dispose()
  }
})

fl.run()
