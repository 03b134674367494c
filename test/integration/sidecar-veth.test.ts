// The real sidecar on one end of a veth pair between two namespaces the test
// makes: interface names, in/out direction, ARP, IP fragments, VLAN tags.
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import type {PacketRecord} from '../../src/sidecar/records.js'
import {startSidecar, startTcpdump, type SidecarRun} from '../helpers/integration-capture.js'
import {execFileSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {macOf, makeVethPair, type VethPair} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {assertSchema} from '../helpers/integration-schema.js'
import {ping, sendUdpFrom} from '../helpers/integration-traffic.js'

const veth = suite('sidecar on veth')

const CRAFT = fileURLToPath(new URL('../helpers/craft-frames.py', import.meta.url))
const ctx = {} as {
  pair: VethPair
  run: SidecarRun
  oracle: {count(f: string): number; dispose(): void}
  sport: number
  fragSport: number
  crafted: Record<'vlan' | 'qinq' | 'ip6ext' | 'ip4opts' | 'gre' | 'other', number>
}

const fromB = (p: PacketRecord) => p.src === ctx.pair.addrB && p.dst === ctx.pair.addrA
const icmpEcho = (p: PacketRecord) => p.proto === 'icmp' && (p.icmp_type === 8 || p.icmp_type === 0)

veth.before(async () => {
  preflight()
  const pair = (ctx.pair = makeVethPair('v'))
  const tcpdump = await startTcpdump(pair.ifA, 'udp or icmp or icmp6 or vlan', pair.nsA)
  const sidecar = await startSidecar(['-i', pair.ifA, '--stats-interval', '0'], pair.nsA)
  ping(pair.addrA, 3, pair.nsB)
  ctx.sport = sendUdpFrom(pair.nsB, pair.addrA, 7777, 30, 300).sport
  ctx.fragSport = sendUdpFrom(pair.nsB, pair.addrA, 7778, 1, 4000).sport // 3 IPv4 fragments at MTU 1500
  sendUdpFrom(pair.nsB, pair.addr6A, 7779, 1, 3000) // 3 IPv6 fragments
  ping(pair.addr6A, 2, pair.nsB)
  // shapes this kernel cannot make itself (no VLAN devices): built by hand in B
  ctx.crafted = JSON.parse(execFileSync('ip', ['netns', 'exec', pair.nsB, 'python3', CRAFT, pair.ifB, macOf(pair.nsA, pair.ifA),
    pair.addrB, pair.addrA, pair.addr6B, pair.addr6A], {encoding: 'utf8'}))
  ctx.run = await sidecar.finish()
  ctx.oracle = await tcpdump.finish(() => sendUdpFrom(pair.nsB, pair.addrA, 9, 1, 1), (l) => l.includes(`${pair.addrA}.9: UDP`))
})

veth.after(() => {
  ctx.oracle?.dispose()
  ctx.pair?.remove()
})

veth('sidecar on veth :: records match the schema; counters add up', () => {
  assert.is(ctx.run.code, 0)
  assertSchema(ctx.run.records)
  assert.is(ctx.run.final.written, ctx.run.packets.length)
  assert.is(ctx.run.final.dropped, 0)
  assert.ok(ctx.run.packets.every((p) => p.ifname === ctx.pair.ifA))
})

veth('sidecar on veth :: echo requests come in, replies go out', () => {
  const echo = ctx.run.packets.filter((p) => icmpEcho(p) && p.vlan === undefined)
  const requests = echo.filter((p) => p.icmp_type === 8)
  const replies = echo.filter((p) => p.icmp_type === 0)
  assert.is(requests.length, 3)
  assert.is(replies.length, 3)
  assert.ok(requests.every((p) => p.dir === 'in' && fromB(p)))
  assert.ok(replies.every((p) => p.dir === 'out' && p.src === ctx.pair.addrA))
  assert.is(ctx.oracle.count('icmp[icmptype] == icmp-echo or icmp[icmptype] == icmp-echoreply'), 6)
})

veth('sidecar on veth :: 30 UDP datagrams from the other namespace, exact fields', () => {
  const got = ctx.run.packets.filter((p) => fromB(p) && p.dport === 7777)
  assert.is(got.length, 30)
  for (const p of got) assert.equal([p.dir, p.proto, p.sport, p.len, p.family], ['in', 'udp', ctx.sport, 14 + 20 + 8 + 300, 4])
  assert.is(ctx.oracle.count('udp and dst port 7777'), 30)
})

veth('sidecar on veth :: ARP is reported as a non-IP packet, both ways', () => {
  const arp = ctx.run.packets.filter((p) => p.proto === 'arp')
  assert.ok(arp.some((p) => p.dir === 'in'), 'an ARP request from B')
  assert.ok(arp.some((p) => p.dir === 'out'), 'an ARP reply from A')
  assert.ok(arp.every((p) => p.family === 0 && p.ethertype === 0x0806 && p.src === undefined))
})

veth('sidecar on veth :: IPv4 fragments: the first keeps ports, later ones none, bytes add up', () => {
  const frags = ctx.run.packets.filter((p) => fromB(p) && p.frag !== undefined)
  assert.equal(frags.map((p) => p.frag), ['first', 'later', 'later'])
  assert.equal([frags[0].sport, frags[0].dport], [ctx.fragSport, 7778])
  assert.ok(frags.slice(1).every((p) => p.sport === undefined && p.dport === undefined && p.proto === 'udp'))
  const ipPayload = frags.reduce((sum, p) => sum + p.len - 14 - 20, 0)
  assert.is(ipPayload, 8 + 4000)
  assert.is(ctx.oracle.count('ip and udp and src host 192.0.2.2 and (ip[6:2] & 0x3fff) != 0'), 3)
})

veth('sidecar on veth :: IPv6 fragments through the fragment header', () => {
  const frags = ctx.run.packets.filter((p) => p.family === 6 && p.src === ctx.pair.addr6B && p.frag !== undefined)
  assert.equal(frags.map((p) => p.frag), ['first', 'later', 'later'])
  assert.is(frags[0].dport, 7779)
  assert.ok(frags.every((p) => p.proto === 'udp' && p.dir === 'in'))
  const payload = frags.reduce((sum, p) => sum + p.len - 14 - 40 - 8, 0)
  assert.is(payload, 8 + 3000)
})

veth('sidecar on veth :: ICMPv6 echo between the namespaces', () => {
  const echo = ctx.run.packets.filter((p) => p.proto === 'icmp6' && (p.icmp_type === 128 || p.icmp_type === 129))
  assert.equal(echo.filter((p) => p.icmp_type === 128 && p.dir === 'in').length, 2)
  assert.equal(echo.filter((p) => p.icmp_type === 129 && p.dir === 'out').length, 2)
})

const crafted = (dport: number) => ctx.run.packets.filter((p) => p.dport === dport && p.sport === 5000)

veth('sidecar on veth :: 802.1Q: the VLAN ID, the packet inside, the tag counted in the length', () => {
  const got = crafted(7780)
  assert.is(got.length, 1)
  assert.equal([got[0].vlan, got[0].proto, got[0].src, got[0].dir, got[0].len], [100, 'udp', ctx.pair.addrB, 'in', ctx.crafted.vlan])
  assert.is(ctx.oracle.count('vlan 100 and udp dst port 7780'), 1)
})

veth('sidecar on veth :: QinQ: the outer 802.1ad ID, and the packet under both tags', () => {
  const got = crafted(7781)
  assert.is(got.length, 1)
  assert.equal([got[0].vlan, got[0].proto, got[0].dst, got[0].len], [200, 'udp', ctx.pair.addrA, ctx.crafted.qinq])
  assert.is(ctx.oracle.count('vlan 200 and vlan 300 and udp dst port 7781'), 1)
})

veth('sidecar on veth :: IPv6 hop-by-hop and destination options are walked to UDP', () => {
  const got = crafted(7782)
  assert.is(got.length, 1)
  assert.equal([got[0].family, got[0].proto, got[0].src, got[0].len], [6, 'udp', ctx.pair.addr6B, ctx.crafted.ip6ext])
})

veth('sidecar on veth :: IPv4 options: ports are read after the header length IHL gives', () => {
  const got = crafted(7783)
  assert.is(got.length, 1)
  assert.equal([got[0].proto, got[0].len, got[0].truncated], ['udp', ctx.crafted.ip4opts, undefined])
})

veth('sidecar on veth :: GRE: real addresses, protocol name, no ports', () => {
  const got = ctx.run.packets.filter((p) => p.proto === 'gre')
  assert.is(got.length, 1)
  assert.equal([got[0].src, got[0].dst, got[0].sport, got[0].len], [ctx.pair.addrB, ctx.pair.addrA, undefined, ctx.crafted.gre])
})

veth('sidecar on veth :: a non-IP ethertype still counts, named by its number', () => {
  const got = ctx.run.packets.filter((p) => p.ethertype === 0x88b5)
  assert.is(got.length, 1)
  assert.equal([got[0].family, got[0].proto, got[0].len], [0, '0x88b5', ctx.crafted.other])
})

veth.run()
