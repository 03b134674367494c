// `sockwatch export --ipfix` against the real collectors from Debian, in a
// namespace the test makes: nfdump's nfcapd decodes known traffic (IPv4 and IPv6,
// TCP and UDP) with exact packets and bytes; pmacct's nfacctd prints the standard
// fields and sockwatch's enterprise elements; a collector started late decodes
// after one template refresh; over TCP the collector goes away and comes back.
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {CLI} from '../helpers/integration-capture.js'
import {cgroup2Root} from '../helpers/integration-cgroup.js'
import {nfdumpFlows, nfdumpTable, startNfacctd, startNfcapd, startTcpRelay, until, type NfdumpFlow} from '../helpers/integration-collectors.js'
import {makeNetns, makeVethPair, type VethPair} from '../helpers/integration-netns.js'
import {preflight} from '../helpers/integration-preflight.js'
import {startProc, type Proc} from '../helpers/integration-proc.js'
import {sendUdpFrom} from '../helpers/integration-traffic.js'

const KNOCK = fileURLToPath(new URL('../helpers/tcp-knock.mjs', import.meta.url))
const EXCHANGE = fileURLToPath(new URL('../helpers/tcp-flags-exchange.py', import.meta.url))
const TCP_DUMP = fileURLToPath(new URL('../helpers/ipfix-tcp-dump.mjs', import.meta.url))
const PEER = fileURLToPath(new URL('../helpers/owner-peer.py', import.meta.url))
const CONTAINER = 'cd'.repeat(32) // a docker container id
const NOBODY = 65534
const OWNER_PORT = 4750
const DUMP_PORT = 4741
const ipfix = suite('export-ipfix')
const ctx = {} as {ns: {name: string; remove(): void}; veth?: VethPair; dir: string; cgroupBase?: string}
// ports inside the test's own namespace: nobody else's traffic there
const UDP_PORT = 4739
const TCP_PORT = 4740

/** Every process a test starts, stopped in after() even when an assertion failed half-way. */
const started: Proc[] = []
const track = <T extends {proc: Proc} | Proc>(p: T): T => {
  started.push('proc' in p ? p.proc : p)
  return p
}
// 'ip netns exec' hides the cgroup v2 mount, but the sidecar takes another namespace's
// (docs/attribution.md, "Routes"): --no-process keeps these flows to the template without owners
const inNs = (ns: string, args: string[]) => track(startProc('ip', ['netns', 'exec', ns, CLI, args[0], '--no-process', ...args.slice(1)]))
const nsenter = (ns: string, cmd: string, args: string[], options = {}) => track(startProc('nsenter', [`--net=/run/netns/${ns}`, cmd, ...args], options))
const knock = (ns: string, host: string, n: number) => execFileSync('ip', ['netns', 'exec', ns, process.execPath, KNOCK, host, '9', String(n)])
const fresh = (name: string) => {
  const dir = join(ctx.dir, name)
  mkdirSync(dir)
  return dir
}
/** The closing line's numbers: packets matched, flows, and what was lost. */
function closing(p: Proc) {
  const line = p.stderr.find((l) => /^sockwatch: \d+ packets in \d+ flows/.test(l))
  assert.ok(line, `no closing line in: ${p.stderr.join(' | ')}`)
  const [packets, flows, dropped, overflow, notSent] = line!.match(/\d+/g)!.map(Number)
  return {packets, flows, dropped, overflow, notSent}
}
const addr = (f: NfdumpFlow) => [f.src4_addr ?? f.src6_addr, f.dst4_addr ?? f.dst6_addr]

ipfix.before(() => {
  preflight(['ip', 'nsenter', 'python3', 'nfcapd', 'nfdump', 'nfacctd', 'ipfixDump', 'ss', 'tshark'])
  ctx.ns = makeNetns('ipfix')
  ctx.dir = mkdtempSync(join(tmpdir(), 'sockwatch-ipfix-'))
})

ipfix.after(async () => {
  await Promise.all(started.map((p) => p.stop('SIGKILL', 2000)))
  ctx.ns?.remove()
  ctx.veth?.remove()
  rmSync(ctx.dir, {recursive: true, force: true})
  // leaves first: a cgroup directory goes only when empty (its processes have been killed above)
  for (const sub of ctx.cgroupBase ? ['srv', `docker-${CONTAINER}.scope`, ''] : []) {
    try {
      rmdirSync(join(cgroup2Root(), ctx.cgroupBase!, sub))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
})

ipfix('ipfix :: nfcapd decodes every flow of known traffic, with exactly the packets and bytes sent', async () => {
  const ns = ctx.ns.name
  const nf = track(await startNfcapd(ns, fresh('nfcapd'), UDP_PORT))
  const exp = inNs(ns, ['export', '--ipfix', `127.0.0.1:${UDP_PORT}`, '-i', 'lo', '--idle-timeout', '1s', 'not', 'port', String(UDP_PORT)])
  await exp.waitFor('stderr', /^sockwatch: counting flows on lo/)
  const t0 = Date.now()
  const udp4 = sendUdpFrom(ns, '127.0.0.1', 'sink', 50, 100)
  const udp6 = sendUdpFrom(ns, '::1', 'sink', 20, 50)
  knock(ns, '127.0.0.1', 3)
  knock(ns, '::1', 2)
  // a whole connection each way: the client's flow has S, A, P, F, the server's S, A, F
  const conns = ['127.0.0.1', '::1'].map((host) => ({host, ...JSON.parse(execFileSync('ip', ['netns', 'exec', ns, '/usr/bin/python3', EXCHANGE, host], {encoding: 'utf8'})) as {client: number; server: number}}))
  const t1 = Date.now()
  assert.is((await exp.stop('SIGTERM')).code, 0, exp.stderr.join('\n'))
  await nf.stop()
  const flows = nfdumpFlows(nf.dir)
  console.log(`\n${nfdumpTable(nf.dir)}`)

  const udp = (src: string, sport: number, dport: number) => flows.find((f) => f.proto === 17 && addr(f)[0] === src && f.src_port === sport && f.dst_port === dport)
  assert.equal([udp('127.0.0.1', udp4.sport, udp4.dport)?.in_packets, udp('127.0.0.1', udp4.sport, udp4.dport)?.in_bytes], [50, 50 * (14 + 20 + 8 + 100)])
  assert.equal([udp('::1', udp6.sport, udp6.dport)?.in_packets, udp('::1', udp6.sport, udp6.dport)?.in_bytes], [20, 20 * (14 + 40 + 8 + 50)])
  // each knock: a SYN to port 9 and the RST back, a flow each way
  const tcp = flows.filter((f) => f.proto === 6)
  const syn4 = tcp.filter((f) => f.src4_addr && f.dst_port === 9)
  const rst4 = tcp.filter((f) => f.src4_addr && f.src_port === 9)
  const syn6 = tcp.filter((f) => f.src6_addr && f.dst_port === 9)
  const rst6 = tcp.filter((f) => f.src6_addr && f.src_port === 9)
  assert.equal([syn4, rst4, syn6, rst6].map((g) => g.length), [3, 3, 2, 2])
  assert.equal([...new Set(syn4.map((f) => [f.in_packets, f.in_bytes].join('/')))], ['1/74'])
  assert.equal([...new Set(rst4.map((f) => [f.in_packets, f.in_bytes].join('/')))], ['1/54'])
  assert.equal([...new Set(syn6.map((f) => [f.in_packets, f.in_bytes].join('/')))], ['1/94'])
  assert.equal([...new Set(rst6.map((f) => [f.in_packets, f.in_bytes].join('/')))], ['1/74'])
  // tcpControlBits: nfdump shows each flow's OR of flags (its letters CEUAPRSF, '.' for a bit not set)
  assert.equal([...new Set([...syn4, ...syn6].map((f) => f.tcp_flags))], ['......S.'])
  assert.equal([...new Set([...rst4, ...rst6].map((f) => f.tcp_flags))], ['...A.R..'])
  const side = (host: string, sport: number, dport: number) => tcp.find((f) => addr(f)[0] === host && f.src_port === sport && f.dst_port === dport)
  const connFlows = conns.flatMap(({host, client, server}) => [side(host, client, server), side(host, server, client)])
  assert.equal(connFlows.map((f) => f?.tcp_flags), ['...AP.SF', '...A..SF', '...AP.SF', '...A..SF'], JSON.stringify(conns))
  assert.ok(flows.filter((f) => f.proto === 17).every((f) => f.tcp_flags === '........'))
  const connPackets = connFlows.reduce((n, f) => n + f!.in_packets, 0)
  assert.ok(connFlows.every((f) => f!.in_packets >= 3), `${connPackets} packets in the connections`)
  // nothing else, and nothing lost: what sockwatch matched is what nfcapd stored
  assert.is(flows.length, 12 + 4)
  const c = closing(exp)
  assert.equal(c, {packets: 50 + 20 + 6 + 4 + connPackets, flows: 12 + 4, dropped: 0, overflow: 0, notSent: 0})
  assert.is(flows.reduce((n, f) => n + f.in_packets, 0), c.packets)
  // lo is ifindex 1 in a new namespace; everything on lo is seen coming in
  assert.ok(flows.every((f) => f.input_snmp === 1 && f.output_snmp === 0 && f.direction === 0), JSON.stringify(flows[0]))
  // flowStart/EndMilliseconds: the flow's first and last packet, inside the time the traffic took
  for (const f of flows) {
    const first = Date.parse(`${f.first}Z`)
    const last = Date.parse(`${f.last}Z`)
    assert.ok(first >= t0 - 5 && last <= t1 + 5 && first <= last, `${f.first}..${f.last} outside ${new Date(t0).toISOString()}..${new Date(t1).toISOString()}`)
  }
  assert.match(nf.proc.stderr.join('\n'), /Sequence Errors: 0, Bad Packets: 0/)
  assert.not.match(nf.proc.stderr.join('\n'), /Sequence Errors: [1-9]/)
})

ipfix('ipfix :: nfacctd (print plugin, JSON): standard fields of flows both ways on a veth, egressInterface for the way out', async () => {
  const veth = (ctx.veth = makeVethPair('ipfix'))
  const ifindex = JSON.parse(execFileSync('ip', ['-n', veth.nsA, '-j', 'link', 'show', veth.ifA], {encoding: 'utf8'}))[0].ifindex as number
  const dir = fresh('nfacctd')
  const acct = track(await startNfacctd(veth.nsA, dir, UDP_PORT, ['src_host', 'dst_host', 'src_port', 'dst_port', 'proto', 'in_iface', 'out_iface', 'timestamp_start', 'timestamp_end'], ''))
  const exp = inNs(veth.nsA, ['export', '--ipfix', `127.0.0.1:${UDP_PORT}`, '-i', veth.ifA, '--idle-timeout', '1s', 'tcp'])
  await exp.waitFor('stderr', new RegExp(`^sockwatch: counting flows on ${veth.ifA}`))
  knock(veth.nsA, veth.addrB, 2)
  knock(veth.nsA, veth.addr6B, 1)
  assert.is((await exp.stop('SIGTERM')).code, 0, exp.stderr.join('\n'))
  const records = await until('nfacctd to print 6 flows', () => {
    const r = acct.records().filter((x) => x.ip_proto === 'tcp')
    return r.length >= 6 ? r : undefined
  })
  await acct.stop()
  const out = records.filter((r) => r.port_dst === 9)
  const back = records.filter((r) => r.port_src === 9)
  assert.equal(out.map((r) => [r.ip_src, r.ip_dst, r.iface_in, r.iface_out, r.packets, r.bytes]).sort(), [
    [veth.addr6A, veth.addr6B, 0, ifindex, 1, 94], [veth.addrA, veth.addrB, 0, ifindex, 1, 74], [veth.addrA, veth.addrB, 0, ifindex, 1, 74],
  ].sort())
  assert.equal(back.map((r) => [r.ip_src, r.ip_dst, r.iface_in, r.iface_out, r.packets, r.bytes]).sort(), [
    [veth.addr6B, veth.addr6A, ifindex, 0, 1, 74], [veth.addrB, veth.addrA, ifindex, 0, 1, 54], [veth.addrB, veth.addrA, ifindex, 0, 1, 54],
  ].sort())
  assert.is(records.length, 6)
  assert.ok(records.every((r) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/.test(String(r.timestamp_start)) && r.timestamp_start !== '1970-01-01 00:00:00.000000'))
})

ipfix('ipfix :: nfacctd reads the enterprise elements (PEN 32473) of live flows: pid, uid, comm, cgroup, container of known processes', async () => {
  const ns = ctx.ns.name
  const dir = fresh('nfacctd-owner')
  const primitives = [
    'name=sw_pid field_type=32473:1 len=4 semantics=u_int',
    'name=sw_uid field_type=32473:3 len=4 semantics=u_int',
    'name=sw_comm field_type=32473:2 len=vlen semantics=str',
    'name=sw_cgroup field_type=32473:4 len=vlen semantics=str',
    'name=sw_container field_type=32473:5 len=vlen semantics=str',
    '',
  ].join('\n')
  const acct = track(await startNfacctd(ns, dir, UDP_PORT, ['src_host', 'dst_host', 'src_port', 'dst_port', 'proto', 'tcpflags', 'sw_pid', 'sw_uid', 'sw_comm', 'sw_cgroup', 'sw_container'], primitives))
  // a server on the host's side and a client "in a container" (a docker-<id>.scope cgroup), as nobody
  const root = cgroup2Root()
  const base = (ctx.cgroupBase = `/sw-ipfix-${process.pid}`)
  const srvCgroup = `${base}/srv`
  const cliCgroup = `${base}/docker-${CONTAINER}.scope`
  for (const c of [srvCgroup, cliCgroup]) mkdirSync(join(root, c), {recursive: true})
  // nsenter, not ip netns exec: attribution needs the cgroup v2 mount, which ip netns exec hides
  const exp = nsenter(ns, CLI, ['export', '--ipfix', `127.0.0.1:${UDP_PORT}`, '-i', 'lo', '--idle-timeout', '1h', 'not', 'port', String(UDP_PORT)])
  await exp.waitFor('stderr', /^sockwatch: counting flows on lo/)
  const server = nsenter(ns, '/usr/bin/python3', [PEER, join(root, srvCgroup), 'sw-srv', '0', 'server', String(OWNER_PORT), '127.0.0.1'], {stdio: ['pipe', 'pipe', 'pipe']})
  const srvPid = JSON.parse(await server.waitFor('stdout', /"ready"/)).ready as number
  const client = nsenter(ns, '/usr/bin/python3', [PEER, join(root, cliCgroup), 'sw-client', String(NOBODY), 'client', String(OWNER_PORT), '127.0.0.1'])
  const said = JSON.parse(await client.waitFor('stdout', /"done"/, 10_000)) as {done: number; ports: number[]}
  server.child.stdin!.end()
  await Promise.all([server.exited, client.exited])
  assert.is((await exp.stop('SIGTERM')).code, 0, exp.stderr.join('\n'))
  const [tcpPort, udpPort, connectedUdpPort] = said.ports
  const records = await until('nfacctd to print 6 flows', () => {
    const r = acct.records().filter((x) => x.port_src === OWNER_PORT || x.port_dst === OWNER_PORT)
    return r.length >= 6 ? r : undefined
  })
  await acct.stop()
  // loopback: each packet is seen coming in, so a flow's owner is the socket it arrives at
  const srv = [String(srvPid), '0', 'sw-srv', srvCgroup, '']
  const cli = [String(said.done), String(NOBODY), 'sw-client', cliCgroup, CONTAINER]
  const pick = (r: Record<string, unknown>) => [r.ip_proto, r.port_src, r.port_dst, r.sw_pid, r.sw_uid, r.sw_comm, r.sw_cgroup, r.sw_container, r.tcp_flags]
  assert.equal(records.map(pick).sort(), [
    ['tcp', tcpPort, OWNER_PORT, ...srv, '27'], // FIN SYN PSH ACK: 0x1b
    ['tcp', OWNER_PORT, tcpPort, ...cli, '27'], // the server echoes, so PSH both ways
    ['udp', udpPort, OWNER_PORT, ...srv, '0'],
    ['udp', OWNER_PORT, udpPort, ...cli, '0'],
    ['udp', connectedUdpPort, OWNER_PORT, ...srv, '0'],
    ['udp', OWNER_PORT, connectedUdpPort, ...cli, '0'],
  ].sort())
})

ipfix('ipfix :: template refresh: a collector started after sockwatch decodes every flow after one refresh interval', async () => {
  const ns = ctx.ns.name
  const exp = inNs(ns, ['export', '-v', '--ipfix', `127.0.0.1:${UDP_PORT}`, '-i', 'lo', '--idle-timeout', '1s', '--template-refresh', '2s', 'not', 'port', String(UDP_PORT)])
  await exp.waitFor('stderr', /^sockwatch: counting flows on lo/)
  const before = exp.stderr.filter((l) => l === 'sockwatch: sent the templates').length
  const nf = track(await startNfcapd(ns, fresh('late'), UDP_PORT))
  const started = Date.now()
  // the next refresh, which the collector is there to hear
  await until('a template refresh', () => (exp.stderr.filter((l) => l === 'sockwatch: sent the templates').length > before ? true : undefined), 5000)
  const waited = Date.now() - started
  assert.ok(waited <= 2000 + 1000 + 250, `the refresh came ${waited} ms after the collector started (refresh 2s, read every 1s)`)
  const udp = sendUdpFrom(ns, '127.0.0.1', 'sink', 30, 10)
  assert.is((await exp.stop('SIGTERM')).code, 0)
  await nf.stop()
  const flows = nfdumpFlows(nf.dir)
  assert.equal(flows.map((f) => [f.src_port, f.dst_port, f.in_packets, f.in_bytes]), [[udp.sport, udp.dport, 30, 30 * 52]])
})

ipfix('ipfix :: without a refresh, the same late collector decodes nothing (the test above can fail)', async () => {
  const ns = ctx.ns.name
  const exp = inNs(ns, ['export', '--ipfix', `127.0.0.1:${UDP_PORT}`, '-i', 'lo', '--idle-timeout', '1s', '--template-refresh', '1h', 'not', 'port', String(UDP_PORT)])
  await exp.waitFor('stderr', /^sockwatch: counting flows on lo/)
  const nf = track(await startNfcapd(ns, fresh('late-norefresh'), UDP_PORT))
  sendUdpFrom(ns, '127.0.0.1', 'sink', 30, 10)
  assert.is((await exp.stop('SIGTERM')).code, 0)
  await nf.stop()
  assert.equal(nfdumpFlows(nf.dir), [])
  assert.is(closing(exp).flows, 1)
})

/** ipfixDump's text: each message's sequence number and data records, each record's fields by name. */
function ipfixDumpMessages(text: string) {
  return text.split('--- Message Header ---').slice(1).map((m) => ({
    sequence: Number(/sequence number: (\d+)/.exec(m)![1]),
    records: m.split(/--- data record \d+ ---/).slice(1).map((r) => ({
      tid: Number(/tid:\s+(\d+)/.exec(r)![1]),
      fields: Object.fromEntries([...r.matchAll(/^\t\(\d+(?:\/\d+)?\)(?: \(S\))?\s+(\w+) : (.*)$/gm)].map(([, k, v]) => [k, v])),
    })),
  }))
}

ipfix('ipfix :: TCP: libfixbuf\'s ipfixDump decodes the stream as sent on the connection: templates, sequence numbers, every flow with its counts and tcpControlBits', async () => {
  const ns = ctx.ns.name
  const dump = track(startProc('ip', ['netns', 'exec', ns, process.execPath, TCP_DUMP, String(DUMP_PORT)]))
  await dump.waitFor('stdout', /^listening/)
  const exp = inNs(ns, ['export', '--ipfix', `127.0.0.1:${DUMP_PORT}`, '--transport', 'tcp', '-i', 'lo', '--idle-timeout', '1h', 'not', 'port', String(DUMP_PORT)])
  await exp.waitFor('stderr', /^sockwatch: counting flows on lo/)
  const udp = sendUdpFrom(ns, '127.0.0.1', 'sink', 30, 70)
  const conn = JSON.parse(execFileSync('ip', ['netns', 'exec', ns, '/usr/bin/python3', EXCHANGE, '127.0.0.1'], {encoding: 'utf8'})) as {client: number; server: number}
  assert.is((await exp.stop('SIGTERM')).code, 0, exp.stderr.join('\n'))
  assert.is((await dump.exited).code, 0, dump.stderr.join('\n'))
  // libfixbuf warns of a message out of sequence; nothing else is on its stderr
  assert.equal(dump.stderr.filter(Boolean), [])
  const text = dump.stdout.join('\n')
  const messages = ipfixDumpMessages(text)
  // the first message: the 12 flow templates and the options template, sequence 0
  assert.match(text, /\*\*\* File Stats: \d+ Messages, \d+ Data Records, 13 Template Records \*\*\*/)
  let before = 0
  for (const m of messages) {
    assert.is(m.sequence, before, 'sequence number: data records sent before the message')
    before += m.records.length
  }
  const flows = messages.flatMap((m) => m.records).filter((r) => r.tid === 256).map((r) => r.fields)
  const flow = (sport: number, dport: number) => flows.find((f) => f.sourceTransportPort === String(sport) && f.destinationTransportPort === String(dport))
  assert.equal([flow(udp.sport, udp.dport)?.packetDeltaCount, flow(udp.sport, udp.dport)?.octetDeltaCount, flow(udp.sport, udp.dport)?.tcpControlBits], ['30', String(30 * (14 + 20 + 8 + 70)), '0'])
  // FIN SYN PSH ACK (27) from the client, FIN SYN ACK (19) back
  assert.equal([flow(conn.client, conn.server)?.tcpControlBits, flow(conn.server, conn.client)?.tcpControlBits], ['27', '19'])
  assert.is(flows.length, 3)
  const c = closing(exp)
  assert.is(flows.reduce((n, f) => n + Number(f.packetDeltaCount), 0), c.packets)
  assert.equal([c.flows, c.notSent], [3, 0])
})

ipfix('ipfix :: over TCP the collector goes away and comes back: no crash, every count kept, one line each way', async () => {
  const ns = ctx.ns.name
  const nf = track(await startNfcapd(ns, fresh('tcp'), UDP_PORT))
  let relay = track(await startTcpRelay(ns, TCP_PORT, UDP_PORT))
  const exp = inNs(ns, ['export', '-v', '--ipfix', `127.0.0.1:${TCP_PORT}`, '--transport', 'tcp', '-i', 'lo', '--idle-timeout', '1s', 'not', 'port', String(TCP_PORT), 'and', 'not', 'port', String(UDP_PORT)])
  await exp.waitFor('stderr', /^sockwatch: connected to the collector at tcp:\/\/127\.0\.0\.1:4740$/)
  await exp.waitFor('stderr', /^sockwatch: counting flows on lo/)
  const a = sendUdpFrom(ns, '127.0.0.1', 'sink', 40, 100)
  // A's flow reaches the collector (a data set, template 256) before it goes away
  await relay.waitFor('stdout', (l) => l.includes('"sets":[256'), 10_000)
  await relay.stop('SIGTERM')
  await exp.waitFor('stderr', /^sockwatch: lost the collector at tcp:\/\/127\.0\.0\.1:4740/)
  const b = sendUdpFrom(ns, '::1', 'sink', 25, 60)
  // B's flow ends while the collector is away: it waits in the queue
  await exp.waitFor('stderr', /^sockwatch: the collector is away: 1 flows waiting$/, 10_000)
  relay = track(await startTcpRelay(ns, TCP_PORT, UDP_PORT))
  await exp.waitFor('stderr', /^sockwatch: connected to the collector at tcp:\/\/127\.0\.0\.1:4740; sending 1 flows kept meanwhile$/, 10_000)
  await relay.waitFor('stdout', (l) => l.includes('"sets":[260'), 10_000)
  const c = sendUdpFrom(ns, '127.0.0.1', 'sink', 10, 20)
  assert.is((await exp.stop('SIGTERM')).code, 0, exp.stderr.join('\n'))
  await relay.waitFor('stdout', (l) => l.includes('"sets":[256,268]'), 10_000)
  await relay.stop('SIGTERM')
  await nf.stop()

  const flows = nfdumpFlows(nf.dir).map((f) => [f.src_port, f.dst_port, f.in_packets, f.in_bytes])
  assert.equal(flows.sort(), [[a.sport, a.dport, 40, 40 * 142], [b.sport, b.dport, 25, 25 * (14 + 40 + 8 + 60)], [c.sport, c.dport, 10, 10 * 62]].sort())
  const lines = exp.stderr.filter((l) => /collector|exporting IPFIX/.test(l) && !/away: \d+ flows waiting/.test(l))
  assert.equal(lines, [
    'sockwatch: exporting IPFIX to tcp://127.0.0.1:4740, observation domain 1',
    'sockwatch: connected to the collector at tcp://127.0.0.1:4740',
    lines[2],
    'sockwatch: connected to the collector at tcp://127.0.0.1:4740; sending 1 flows kept meanwhile',
  ])
  assert.match(lines[2], /^sockwatch: lost the collector at tcp:\/\/127\.0\.0\.1:4740 \(.+\); retrying, flows are kept meanwhile/)
  assert.equal(closing(exp), {packets: 75, flows: 3, dropped: 0, overflow: 0, notSent: 0})
})

ipfix('ipfix :: SIGHUP sends every flow held at once and carries on; SIGTERM then ends with exit 0', async () => {
  const ns = ctx.ns.name
  const nf = track(await startNfcapd(ns, fresh('hup'), UDP_PORT))
  // timeouts of an hour: only SIGHUP (or the end) sends a flow
  const exp = inNs(ns, ['export', '--ipfix', `127.0.0.1:${UDP_PORT}`, '-i', 'lo', '--idle-timeout', '1h', '--interval', '1h', 'not', 'port', String(UDP_PORT)])
  await exp.waitFor('stderr', /^sockwatch: counting flows on lo/)
  const udp = sendUdpFrom(ns, '127.0.0.1', 'sink', 12, 30)
  // the flow reaches the cache at the next read of the kernel's table (every second): ask until it is there
  await until('SIGHUP to send the flow', () => {
    if (exp.stderr.includes('sockwatch: SIGHUP: sent the 1 flows in the cache now, and the templates again')) return true
    exp.child.kill('SIGHUP')
    return undefined
  }, 10_000)
  // the collector stops before sockwatch does: what it has came from SIGHUP
  await nf.stop()
  assert.equal(nfdumpFlows(nf.dir).map((f) => [f.src_port, f.dst_port, f.in_packets, f.in_bytes]), [[udp.sport, udp.dport, 12, 12 * 72]])
  assert.is(exp.child.exitCode, null, 'still running after SIGHUP')
  assert.is((await exp.stop('SIGTERM')).code, 0)
  assert.equal(closing(exp), {packets: 12, flows: 1, dropped: 0, overflow: 0, notSent: 0})
})

ipfix('ipfix :: a flow table too small for the flood: the overflow leaves as ignoredPacketTotalCount, and flows plus ignored equal every packet', async () => {
  const ns = ctx.ns.name
  const nf = track(await startNfcapd(ns, fresh('overflow'), UDP_PORT))
  // tshark decodes what leaves (IPFIX options records too, which nfcapd does not store), live, a line a message
  const ts = track(startProc('ip', ['netns', 'exec', ns, 'tshark', '-i', 'lo', '-f', `udp port ${UDP_PORT}`, '-l', '-n', '-d', `udp.port==${UDP_PORT},cflow`,
    '-T', 'fields', '-e', 'cflow.flowset_id', '-e', 'cflow.packets', '-e', 'cflow.ignore_packets', '-e', 'cflow.notsent_flows']))
  await ts.waitFor('stderr', /Capturing on/)
  const exp = inNs(ns, ['export', '--ipfix', `127.0.0.1:${UDP_PORT}`, '-i', 'lo', '--flow-entries', '64', '--idle-timeout', '1s', 'not', 'port', String(UDP_PORT)])
  await exp.waitFor('stderr', /^sockwatch: counting flows on lo/)
  sendUdpFrom(ns, '127.0.0.1', 'sinks:500', 2, 10)
  assert.is((await exp.stop('SIGTERM')).code, 0, exp.stderr.join('\n'))
  const c = closing(exp)
  assert.is(c.packets, 1000)
  assert.ok(c.overflow > 0, 'a 64-entry table cannot hold 500 flows a read')
  // the last options record (template 268) carries the final count
  const cols = (l: string) => l.split('\t').map((x) => (x ? x.split(',').map(Number) : []))
  await ts.waitFor('stdout', (l) => cols(l)[0].includes(268) && cols(l)[2].at(-1) === c.overflow, 10_000)
  await ts.stop('SIGINT')
  await nf.stop()
  const exported = ts.stdout.reduce((n, l) => n + cols(l)[1].reduce((a, b) => a + b, 0), 0)
  assert.is(exported + c.overflow, 1000)
  assert.is(exported, c.packets - c.overflow)
  assert.is(nfdumpFlows(nf.dir).reduce((n, f) => n + f.in_packets, 0), exported)
  assert.ok(ts.stdout.every((l) => (cols(l)[3] ?? []).every((n) => n === 0)), 'nothing counted as not sent')
})

ipfix('ipfix :: active timeout: a flow still going is sent every --interval, and its records add up to every packet', async () => {
  const ns = ctx.ns.name
  const nf = track(await startNfcapd(ns, fresh('active'), UDP_PORT))
  const exp = inNs(ns, ['export', '--ipfix', `127.0.0.1:${UDP_PORT}`, '-i', 'lo', '--interval', '1s', '--idle-timeout', '1h', 'icmp'])
  await exp.waitFor('stderr', /^sockwatch: counting flows on lo/)
  // 16 echo requests 200 ms apart, and their replies: one flow key on lo (no ports), for about 3 s
  const t0 = Date.now()
  execFileSync('ip', ['netns', 'exec', ns, 'ping', '-4', '-n', '-q', '-c', '16', '-i', '0.2', '127.0.0.1'], {stdio: 'pipe'})
  const t1 = Date.now()
  assert.is((await exp.stop('SIGTERM')).code, 0)
  await nf.stop()
  const flows = nfdumpFlows(nf.dir).sort((a, b) => (a.first < b.first ? -1 : 1))
  // a flow leaves at the first read (every second) after it is --interval old: each record spans at most 2 s
  assert.ok(flows.length >= Math.ceil((t1 - t0) / 2000), `${flows.length} records for a flow of ${t1 - t0} ms with a 1 s active timeout`)
  assert.is(flows.reduce((n, f) => n + f.in_packets, 0), 32)
  assert.is(flows.reduce((n, f) => n + f.in_bytes, 0), 32 * 98)
  // one after the other, each spanning at most the active timeout plus one read
  for (const [i, f] of flows.entries()) {
    const span = Date.parse(`${f.last}Z`) - Date.parse(`${f.first}Z`)
    assert.ok(span <= 2000, `record ${i} spans ${span} ms`)
    if (i > 0) assert.ok(f.first >= flows[i - 1].last, `record ${i} starts before record ${i - 1} ends`)
  }
})

ipfix.run()
