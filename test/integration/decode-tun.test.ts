// A device without a link-layer header (tun): the frame starts at the IP header, and
// the parser must not take its first bytes for an Ethernet header, even where they look
// like one (an IPv4 source 8.0.x.x has the IPv4 ethertype where Ethernet's type field
// would be). Each record is compared with tshark's decoding of the same packets.
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {execFileSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {startSidecar, startTcpdump, type SidecarRun} from '../helpers/integration-capture.js'
import {makeNetns} from '../helpers/integration-netns.js'
import {startProc, type Proc} from '../helpers/integration-proc.js'
import {preflight} from '../helpers/integration-preflight.js'

const test = suite('decode tun')
const TUN = fileURLToPath(new URL('../helpers/tun-send.py', import.meta.url))
const DEV = 'swtun0'
const ctx = {} as {ns: {name: string; remove(): void}; tun: Proc; run: SidecarRun; rows: string[][]; dispose(): void}

test.before(async () => {
  preflight(['ip', 'tcpdump', 'tshark', '/usr/bin/python3'])
  ctx.ns = makeNetns('tun')
  ctx.tun = startProc('ip', ['netns', 'exec', ctx.ns.name, '/usr/bin/python3', TUN, DEV], {stdio: ['pipe', 'pipe', 'pipe']})
  await ctx.tun.waitFor('stdout', /^ready$/)
  const tcpdump = await startTcpdump(DEV, 'udp or tcp', ctx.ns.name)
  const sidecar = await startSidecar(['-i', DEV, '--stats-interval', '0', '--macs'], ctx.ns.name)
  const send = async () => {
    ctx.tun.child.stdin?.write('send\n')
    await ctx.tun.waitFor('stdout', /^sent 3$/)
  }
  const oracle = await tcpdump.finish(send, (l) => l.includes('10.14.0.1.2224'))
  ctx.run = await sidecar.finish()
  const out = execFileSync('tshark', ['-r', oracle.pcap, '-T', 'fields', '-E', 'separator=\t', '-e', 'frame.len', '-e', 'ip.src', '-e', 'ip.dst', '-e', 'ip.proto',
    '-e', 'udp.srcport', '-e', 'tcp.srcport', '-e', 'udp.dstport', '-e', 'tcp.dstport', '-Y', 'ip.dst == 10.14.0.1'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
  ctx.rows = out.split('\n').filter(Boolean).map((l) => l.split('\t'))
  ctx.dispose = oracle.dispose
})

test.after(() => {
  ctx.tun?.child.stdin?.end()
  ctx.dispose?.()
  ctx.ns?.remove()
})

test('decode tun :: every datagram tshark decodes has a record with its fields, and no MAC addresses', () => {
  assert.is(ctx.run.code, 0)
  // the 3 datagrams written into the device
  const got = ctx.run.packets.filter((p) => p.dir === 'in')
  assert.is(got.length, ctx.rows.length)
  assert.is(ctx.rows.length, 3)
  got.forEach((p, i) => {
    const [len, src, dst, proto, usport, tsport, udport, tdport] = ctx.rows[i]
    assert.equal([p.len, p.family, p.src, p.dst, p.proto, p.sport, p.dport, p.smac, p.malformed],
      [Number(len), 4, src, dst, proto === '6' ? 'tcp' : 'udp', Number(usport || tsport), Number(udport || tdport), undefined, undefined], `datagram ${i} from ${src}`)
  })
})

test.run()
