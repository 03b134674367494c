// The real sidecar on loopback: known traffic in, exact records out, with
// tcpdump on the same traffic as an independent count.
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import type {PacketRecord} from '../../src/sidecar/records.js'
import {startSidecar, startTcpdump, type SidecarRun} from '../helpers/integration-capture.js'
import {preflight} from '../helpers/integration-preflight.js'
import {assertSchema} from '../helpers/integration-schema.js'
import {ping, sendUdp, tcpExchange} from '../helpers/integration-traffic.js'

const lo = suite('sidecar on lo')

interface Ctx {
  run: SidecarRun
  udp4: {sport: number; dport: number}
  udp6: {sport: number; dport: number}
  tcp: {sport: number; dport: number}
  oracle: {count(filter: string): number; dispose(): void}
}
const ctx = {} as Ctx

const flow = (p: PacketRecord, src: string, sport: number, dst: string, dport: number) =>
  p.src === src && p.sport === sport && p.dst === dst && p.dport === dport

lo.before(async () => {
  preflight()
  const tcpdump = await startTcpdump('lo', 'udp or tcp or icmp or icmp6')
  const sidecar = await startSidecar(['-i', 'lo', '--stats-interval', '0'])
  ctx.udp4 = await sendUdp('127.0.0.1', 50, 200)
  ctx.udp6 = await sendUdp('::1', 20, 100)
  ctx.tcp = await tcpExchange('127.0.0.1', 1000, 500)
  ping('127.0.0.1', 3)
  ping('::1', 2)
  ctx.run = await sidecar.finish()
  let marker = 0
  ctx.oracle = await tcpdump.finish(async () => (marker = (await sendUdp('127.0.0.1', 1, 1)).dport), (l) => l.includes(`.${marker}: UDP`))
})

lo.after(() => ctx.oracle?.dispose())

lo('sidecar on lo :: exits 0 after SIGTERM with a final stats record', () => {
  assert.is(ctx.run.code, 0)
  assert.is(ctx.run.records[0].type, 'ready')
  assert.is(ctx.run.final.final, true)
  assert.is(ctx.run.records[ctx.run.records.length - 1], ctx.run.final)
})

lo('sidecar on lo :: every record matches docs/events.schema.json', () => {
  assertSchema(ctx.run.records)
})

lo('sidecar on lo :: counters add up: written = emitted, matched = emitted + dropped, nothing dropped', () => {
  const {final, packets} = ctx.run
  assert.is(final.written, packets.length)
  assert.is(final.emitted, packets.length)
  assert.is(final.matched, final.emitted + final.dropped)
  assert.is(final.dropped, 0)
  assert.ok(final.seen >= final.matched)
})

lo('sidecar on lo :: 50 IPv4 UDP datagrams of 200 bytes, each once, with every field', () => {
  const got = ctx.run.packets.filter((p) => flow(p, '127.0.0.1', ctx.udp4.sport, '127.0.0.1', ctx.udp4.dport))
  assert.is(got.length, 50)
  for (const p of got) {
    assert.equal(
      {ifindex: p.ifindex, ifname: p.ifname, dir: p.dir, family: p.family, proto: p.proto, len: p.len, flags: p.flags, icmp_type: p.icmp_type, frag: p.frag},
      {ifindex: 1, ifname: 'lo', dir: 'in', family: 4, proto: 'udp', len: 14 + 20 + 8 + 200, flags: undefined, icmp_type: undefined, frag: undefined},
    )
  }
  assert.is(ctx.oracle.count(`ip and udp and src port ${ctx.udp4.sport} and dst port ${ctx.udp4.dport}`), 50)
})

lo('sidecar on lo :: 20 IPv6 UDP datagrams of 100 bytes to ::1', () => {
  const got = ctx.run.packets.filter((p) => flow(p, '::1', ctx.udp6.sport, '::1', ctx.udp6.dport))
  assert.is(got.length, 20)
  for (const p of got) assert.equal([p.family, p.proto, p.len, p.dir], [6, 'udp', 14 + 40 + 8 + 100, 'in'])
  assert.is(ctx.oracle.count(`ip6 and udp and src port ${ctx.udp6.sport} and dst port ${ctx.udp6.dport}`), 20)
})

lo('sidecar on lo :: a TCP exchange: handshake flags in order, a FIN each way, tcpdump agrees on the count', () => {
  const {sport, dport} = ctx.tcp
  const out = ctx.run.packets.filter((p) => flow(p, '127.0.0.1', sport, '127.0.0.1', dport))
  const back = ctx.run.packets.filter((p) => flow(p, '127.0.0.1', dport, '127.0.0.1', sport))
  const both = ctx.run.packets.filter((p) => flow(p, '127.0.0.1', sport, '127.0.0.1', dport) || flow(p, '127.0.0.1', dport, '127.0.0.1', sport))
  assert.equal(both.slice(0, 3).map((p) => p.flags), ['S', 'SA', 'A'])
  assert.ok(out.some((p) => p.flags?.includes('F')), 'client FIN')
  assert.ok(back.some((p) => p.flags?.includes('F')), 'server FIN')
  assert.ok(both.every((p) => p.proto === 'tcp' && p.family === 4 && p.dir === 'in'))
  // payload bytes: 1000 one way, 500 the other (frame - Ethernet - IP - TCP header with options)
  assert.is(ctx.oracle.count(`tcp and src port ${sport} and dst port ${dport}`), out.length)
  assert.is(ctx.oracle.count(`tcp and src port ${dport} and dst port ${sport}`), back.length)
})

lo('sidecar on lo :: ICMP echo: type and code instead of ports', () => {
  const icmp = ctx.run.packets.filter((p) => p.proto === 'icmp' && p.src === '127.0.0.1')
  assert.is(icmp.filter((p) => p.icmp_type === 8).length, 3)
  assert.is(icmp.filter((p) => p.icmp_type === 0).length, 3)
  for (const p of icmp) {
    assert.is(p.sport, undefined)
    assert.is(p.dport, undefined)
    assert.is(p.icmp_code, 0)
    assert.is(p.len, 14 + 20 + 8 + 56)
  }
  assert.is(ctx.oracle.count('icmp[icmptype] == icmp-echo or icmp[icmptype] == icmp-echoreply'), 6)
})

lo('sidecar on lo :: ICMPv6 echo to ::1', () => {
  const icmp6 = ctx.run.packets.filter((p) => p.proto === 'icmp6' && p.src === '::1')
  assert.is(icmp6.filter((p) => p.icmp_type === 128).length, 2)
  assert.is(icmp6.filter((p) => p.icmp_type === 129).length, 2)
  assert.is(ctx.oracle.count('icmp6 and (ip6[40] == 128 or ip6[40] == 129)'), 4)
})

lo.run()

const any = suite('sidecar on every interface')

any('sidecar on every interface :: loopback packets are counted once, not twice', async () => {
  const sidecar = await startSidecar(['--stats-interval', '0'])
  const udp = await sendUdp('127.0.0.1', 10, 64)
  const run = await sidecar.finish()
  assert.is(run.records[0].type === 'ready' && run.records[0].interfaces[0].name, 'any')
  const got = run.packets.filter((p) => flow(p, '127.0.0.1', udp.sport, '127.0.0.1', udp.dport))
  assert.is(got.length, 10)
  assert.ok(got.every((p) => p.ifname === 'lo' && p.dir === 'in'))
})

any('sidecar on every interface :: -c stops after exactly N packets and exits 0', async () => {
  const sidecar = await startSidecar(['-i', 'lo', '-c', '5', '--stats-interval', '0'])
  await sendUdp('127.0.0.1', 20, 32)
  const {code} = await sidecar.proc.exited
  const run = await sidecar.finish()
  assert.is(code, 0)
  assert.is(run.packets.length, 5)
  assert.is(run.final.written, 5)
})

any.run()
