import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {clockTime, closingLine, elide, endpoint, packetInfo, truncate} from '../../src/output/format.js'
import {flowBlock} from '../../src/output/flows.js'
import {ndjsonLines} from '../../src/output/ndjson.js'
import {defaultFormat, packetSink} from '../../src/output/sink.js'
import {tableHeader, tableLayout, tableRow, tableRows} from '../../src/output/table.js'
import type {TableLayout} from '../../src/output/table.js'
import {textFormatter, textLine, textLines, type Stamp} from '../../src/output/text.js'
import {tcpdumpBody} from '../../src/output/tcpdump.js'
import type {PacketRecord, ReadyRecord, SidecarRecord} from '../../src/sidecar/records.js'

const output = suite('output')

/** A packet record with the required fields filled in. */
const pkt = (fields: Partial<PacketRecord>): PacketRecord => ({
  v: 1, type: 'packet', ts: 1700000000, ifindex: 1, ifname: 'lo', dir: 'in', family: 4, proto: 'udp', len: 60, ...fields,
})

// 1700000000 is 2023-11-14 22:13:20 UTC.
const udp4 = pkt({ts: 1700000000.123456, ifname: 'lo', dir: 'in', family: 4, proto: 'udp', src: '127.0.0.1', dst: '127.0.0.1', sport: 40000, dport: 53, len: 71})
const tcp6 = pkt({ts: 1700000001.5, ifindex: 2, ifname: 'eth0', dir: 'out', family: 6, proto: 'tcp', src: '2001:db8::1', dst: '2001:db8::2', sport: 443, dport: 51000, len: 86, flags: 'SA'})
const icmp4 = pkt({ts: 1700000002.00025, ifname: 'lo', dir: 'in', family: 4, proto: 'icmp', src: '127.0.0.1', dst: '10.1.2.3', len: 98, icmp_type: 8, icmp_code: 0})
const arp = pkt({ts: 1700000003.999999, ifindex: 2, ifname: 'eth0', dir: 'in', family: 0, proto: 'arp', ethertype: 0x0806, len: 42})
const gre = pkt({ts: 1700000004, ifindex: 2, ifname: 'eth0', dir: 'out', family: 4, proto: 47, src: '10.0.0.1', dst: '10.0.0.2', len: 100})
const ns6 = pkt({ts: 1700000005.000001, ifindex: 2, ifname: 'eth0', dir: 'out', family: 6, proto: 'icmp6', src: 'fe80::1', dst: 'ff02::1:ff00:2', len: 86, icmp_type: 135, icmp_code: 0})
const longV6 = pkt({ts: 1700000006.654321, ifindex: 9, ifname: 'enp0s31f6', dir: 'in', family: 6, proto: 'udp', src: '2001:db8:85a3:1234:5678:8a2e:370:7334', dst: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', sport: 65535, dport: 65535, len: 65535, truncated: true})

output('output :: the tests run with TZ=UTC (scripts/test.mjs sets it)', () => {
  assert.is(process.env.TZ, 'UTC')
  assert.is(new Date(0).getHours(), 0)
})

// [epoch seconds, fraction digits, local (UTC) clock time]
const clocks: [number, 3 | 6, string][] = [
  [1700000000.123456, 6, '22:13:20.123456'],
  [1700000000.123456, 3, '22:13:20.123'],
  [1700000000, 6, '22:13:20.000000'],
  [1700000000.5, 6, '22:13:20.500000'],
  [1700000002.00025, 6, '22:13:22.000250'],
  [18428, 6, '05:07:08.000000'],
  [0, 6, '00:00:00.000000'],
  [0.0000015, 6, '00:00:00.000002'], // 1.5 us rounds half up
  [0.9999994, 6, '00:00:00.999999'],
  [0.9999995, 6, '00:00:01.000000'], // 999999.5 us rounds to a whole second
  [59.9999995, 6, '00:01:00.000000'], // ... and carries into the minute
  [1700006399.9999996, 6, '00:00:00.000000'], // ... and past midnight
  [0.9999995, 3, '00:00:01.000'],
  [1700000000.9999994, 3, '22:13:20.999'], // 3 digits cut, as tcpdump does
]
for (const [ts, digits, want] of clocks) {
  output(`output :: clockTime(${ts}, ${digits}) is ${want}`, () => {
    assert.is(clockTime(ts, digits), want)
  })
}

output('output :: clockTime defaults to 6 digits', () => {
  assert.is(clockTime(1700000000.000007), '22:13:20.000007')
})

const endpoints: [string | undefined, number | undefined, string][] = [
  ['10.0.0.1', 443, '10.0.0.1:443'],
  ['10.0.0.1', 0, '10.0.0.1:0'],
  ['::1', 53, '[::1]:53'],
  ['2001:db8::1', 65535, '[2001:db8::1]:65535'],
  ['10.0.0.1', undefined, '10.0.0.1'],
  ['fe80::1', undefined, 'fe80::1'],
  [undefined, undefined, '-'],
  [undefined, 80, '-'],
]
for (const [address, port, want] of endpoints) {
  output(`output :: endpoint(${address}, ${port}) is ${want}`, () => {
    assert.is(endpoint(address, port), want)
  })
}

const elisions: [string, number, string][] = [
  ['abcdefghij', 10, 'abcdefghij'],
  ['abcdefghij', 20, 'abcdefghij'],
  ['abcdefghij', 9, 'abcd…ghij'],
  ['abcdefghij', 6, 'abc…ij'],
  ['abcdefghij', 3, 'a…j'],
  ['abcdefghij', 2, 'a…'],
  ['abcdefghij', 1, 'a'],
  ['abcdefghij', 0, ''],
  ['', 5, ''],
  ['[2001:db8:85a3:1234:5678:8a2e:370:7334]:65535', 16, '[2001:db…]:65535'],
  ['[2001:db8:85a3:1234:5678:8a2e:370:7334]:65535', 36, '[2001:db8:85a3:123…e:370:7334]:65535'],
]
for (const [text, width, want] of elisions) {
  output(`output :: elide('${text}', ${width}) is '${want}'`, () => {
    const got = elide(text, width)
    assert.is(got, want)
    assert.is(got.length, Math.min(text.length, width))
  })
}

const infos: [string, PacketRecord, string][] = [
  ['no extras (UDP)', udp4, ''],
  ['TCP flags', pkt({proto: 'tcp', flags: 'S'}), '[S]'],
  ['TCP flags FPU', pkt({proto: 'tcp', flags: 'FPU'}), '[FPU]'],
  ['TCP with no flag set', pkt({proto: 'tcp', flags: ''}), '[]'],
  ['ICMP echo request', icmp4, 'echo request'],
  ['ICMP echo reply', pkt({proto: 'icmp', icmp_type: 0, icmp_code: 0}), 'echo reply'],
  ['ICMP port unreachable', pkt({proto: 'icmp', icmp_type: 3, icmp_code: 3}), 'unreachable code 3'],
  ['ICMPv6 echo request', pkt({family: 6, proto: 'icmp6', icmp_type: 128, icmp_code: 0}), 'echo request'],
  ['ICMPv6 echo reply', pkt({family: 6, proto: 'icmp6', icmp_type: 129, icmp_code: 0}), 'echo reply'],
  ['ICMPv6 neighbor solicitation', ns6, 'neighbor solicitation'],
  ['an ICMPv6 type number in an ICMPv4 packet', pkt({proto: 'icmp', icmp_type: 128, icmp_code: 0}), 'type 128'],
  ['an ICMPv4 type number in an ICMPv6 packet', pkt({family: 6, proto: 'icmp6', icmp_type: 8, icmp_code: 0}), 'type 8'],
  ['an unknown ICMP type with a code', pkt({proto: 'icmp', icmp_type: 42, icmp_code: 7}), 'type 42 code 7'],
  ['an unknown ICMPv6 type without a code', pkt({family: 6, proto: 'icmp6', icmp_type: 200, icmp_code: 0}), 'type 200'],
  ['a first fragment', pkt({frag: 'first'}), 'frag first'],
  ['a later fragment', pkt({frag: 'later'}), 'frag'],
  ['a VLAN tag', pkt({vlan: 100}), 'vlan 100'],
  ['VLAN 0', pkt({vlan: 0}), 'vlan 0'],
  ['a truncated packet', pkt({truncated: true}), 'truncated'],
  ['everything at once, in order', pkt({proto: 'tcp', flags: 'A', frag: 'first', vlan: 10, truncated: true}), '[A] frag first vlan 10 truncated'],
  ['ARP (family 0): proto already names it', arp, ''],
  ['LLDP (family 0) with a VLAN tag', pkt({family: 0, proto: 'lldp', ethertype: 0x88cc, vlan: 7}), 'vlan 7'],
  ['an owner: comm/pid first', pkt({proto: 'tcp', flags: 'S', pid: 4242, comm: 'curl', uid: 0, cgroup: '/', container: null}), 'curl/4242 [S]'],
  ['an owner and a local peer', pkt({proto: 'udp', pid: 12, comm: 'nginx', uid: 33, cgroup: '/', container: null, peer_pid: 88, peer_comm: 'curl'}), 'nginx/12 <- curl/88'],
  ['an unattributed packet says so', pkt({proto: 'udp', pid: null, comm: null, uid: null, cgroup: null, container: null}), '-'],
]
for (const [what, p, want] of infos) {
  output(`output :: packetInfo for ${what} is '${want}'`, () => {
    assert.is(packetInfo(p), want)
  })
}

const texts: [string, PacketRecord, string][] = [
  ['a UDP v4 packet', udp4, '22:13:20.123456 lo in IP 127.0.0.1.40000 > 127.0.0.1.53: UDP, length 71'],
  ['a TCP v6 packet', tcp6, '22:13:21.500000 eth0 out IP6 2001:db8::1.443 > 2001:db8::2.51000: Flags [S.], length 86'],
  ['an ICMP packet without ports', icmp4, '22:13:22.000250 lo in IP 127.0.0.1 > 10.1.2.3: ICMP echo request, length 98'],
  ['an ICMPv6 packet', ns6, '22:13:25.000001 eth0 out IP6 fe80::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation, length 86'],
  ['an ARP packet (family 0)', arp, '22:13:23.999999 eth0 in ARP, length 42'],
  ['a packet with a numeric proto', gre, '22:13:24.000000 eth0 out IP 10.0.0.1 > 10.0.0.2: ip-proto-47 100'],
  ['a packet with its owner', {...udp4, pid: 7, comm: 'dig', uid: 1000, cgroup: '/user.slice', container: null}, '22:13:20.123456 lo in IP 127.0.0.1.40000 > 127.0.0.1.53: UDP, length 71 (dig/7)'],
]
for (const [what, p, want] of texts) {
  output(`output :: textLine of ${what}`, () => {
    assert.is(textLine(p), want)
  })
}

output('output :: textLines ends every line with a newline', () => {
  assert.is(textLines()([udp4, arp]), '22:13:20.123456 lo in IP 127.0.0.1.40000 > 127.0.0.1.53: UDP, length 71\n22:13:23.999999 eth0 in ARP, length 42\n')
  assert.is(textLines()([]), '')
})

// tcpdump -n's wording for what a record holds (the integration test decode-oracle compares with tcpdump itself)
const eth = {smac: '02:00:00:00:00:02', dmac: '02:00:00:00:00:01'}
const bodies: [string, PacketRecord, boolean, string][] = [
  ['UDP: the UDP payload as length', pkt({...udp4, paylen: 100}), false, 'IP 127.0.0.1.40000 > 127.0.0.1.53: UDP, length 100'],
  ['TCP SYN-ACK: tcpdump letters', pkt({...tcp6, paylen: 0}), false, 'IP6 2001:db8::1.443 > 2001:db8::2.51000: Flags [S.], length 0'],
  ['TCP with every flag', pkt({...tcp6, flags: 'FSRPAUEC', paylen: 5}), false, 'IP6 2001:db8::1.443 > 2001:db8::2.51000: Flags [FSRP.UEW], length 5'],
  ['TCP with none', pkt({...tcp6, flags: '', paylen: 0}), false, 'IP6 2001:db8::1.443 > 2001:db8::2.51000: Flags [none], length 0'],
  ['TCP without its flags (a tiny first fragment)', pkt({...tcp6, flags: undefined, truncated: true, frag: 'first'}), false, 'IP6 2001:db8::1.443 > 2001:db8::2.51000: [|tcp]'],
  ['ping', pkt({...icmp4, paylen: 64}), false, 'IP 127.0.0.1 > 10.1.2.3: ICMP echo request, length 64'],
  ['ICMP port unreachable', pkt({...icmp4, icmp_type: 3, icmp_code: 3, inner_dst: '10.0.0.9', inner_proto: 'udp', inner_dport: 53, paylen: 36}), false, 'IP 127.0.0.1 > 10.1.2.3: ICMP 10.0.0.9 udp port 53 unreachable, length 36'],
  ['ICMP host unreachable', pkt({...icmp4, icmp_type: 3, icmp_code: 1, inner_dst: '10.0.0.9', inner_proto: 'tcp', paylen: 28}), false, 'IP 127.0.0.1 > 10.1.2.3: ICMP host 10.0.0.9 unreachable, length 28'],
  ['ICMP protocol unreachable', pkt({...icmp4, icmp_type: 3, icmp_code: 2, inner_dst: '10.0.0.9', inner_proto: 253, paylen: 28}), false, 'IP 127.0.0.1 > 10.1.2.3: ICMP 10.0.0.9 protocol 253 unreachable, length 28'],
  ['ICMP time exceeded', pkt({...icmp4, icmp_type: 11, icmp_code: 0, paylen: 36}), false, 'IP 127.0.0.1 > 10.1.2.3: ICMP time exceeded in-transit, length 36'],
  ['ARP request', pkt({...arp, paylen: 28, arp_op: 1, arp_spa: '10.0.0.1', arp_tpa: '10.0.0.2', arp_sha: '02:00:00:00:00:01'}), false, 'ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28'],
  ['ARP reply', pkt({...arp, paylen: 28, arp_op: 2, arp_spa: '10.0.0.2', arp_tpa: '10.0.0.1', arp_sha: '02:00:00:00:00:02'}), false, 'ARP, Reply 10.0.0.2 is-at 02:00:00:00:00:02, length 28'],
  ['ARP request, -e', pkt({...arp, ...eth, dmac: 'ff:ff:ff:ff:ff:ff', paylen: 28, arp_op: 1, arp_spa: '10.0.0.1', arp_tpa: '10.0.0.2', arp_sha: '02:00:00:00:00:02'}), true, '02:00:00:00:00:02 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.0.0.2 tell 10.0.0.1, length 28'],
  ['UDP, -e', pkt({...udp4, ...eth, paylen: 29}), true, '02:00:00:00:00:02 > 02:00:00:00:00:01, ethertype IPv4 (0x0800), length 71: 127.0.0.1.40000 > 127.0.0.1.53: UDP, length 29'],
  ['NDP solicitation', pkt({...ns6, paylen: 24, nd_target: 'fe80::2'}), false, 'IP6 fe80::1 > ff02::1:ff00:2: ICMP6, neighbor solicitation, who has fe80::2, length 24'],
  ['NDP advertisement', pkt({...ns6, icmp_type: 136, paylen: 24, nd_target: 'fe80::1'}), false, 'IP6 fe80::1 > ff02::1:ff00:2: ICMP6, neighbor advertisement, tgt is fe80::1, length 24'],
  ['MLDv2 report', pkt({...ns6, icmp_type: 143, paylen: 28}), false, 'IP6 fe80::1 > ff02::1:ff00:2: ICMP6, multicast listener report v2, length 28'],
  ['ICMPv6 port unreachable', pkt({...ns6, icmp_type: 1, icmp_code: 4, inner_dst: '2001:db8::9', inner_proto: 'udp', inner_dport: 7, paylen: 56}), false, 'IP6 fe80::1 > ff02::1:ff00:2: ICMP6, destination unreachable, unreachable port, 2001:db8::9 udp port 7, length 56'],
  ['a later fragment', pkt({...udp4, frag: 'later', sport: undefined, dport: undefined}), false, 'IP 127.0.0.1 > 127.0.0.1: ip-proto-17'],
  ['LLC', pkt({family: 0, proto: 'llc', llc_dsap: 0x42, llc_ssap: 0x42, len: 52, paylen: 38}), false, 'LLC, dsap 0x42, ssap 0x42, length 38'],
  ['malformed IPv4', pkt({family: 0, proto: '0x0800', ethertype: 0x0800, malformed: 'ip_header_length', len: 42}), false, '[malformed: ip_header_length]'],
  ['unwalked VLAN tags', pkt({family: 0, proto: '0x8100', ethertype: 0x8100, unwalked: 'vlan_tags', vlan: 1, len: 78, paylen: 60}), false, 'ethertype 802.1Q (0x8100), length 60 [unwalked: vlan_tags]'],
  ['an older record without paylen: the frame length', udp4, false, 'IP 127.0.0.1.40000 > 127.0.0.1.53: UDP, length 71'],
]
for (const [what, p, link, want] of bodies) {
  output(`output :: tcpdumpBody of ${what}`, () => {
    assert.is(tcpdumpBody(p, link), want)
  })
}

// tcpdump's -t family on three packets 0.5 s and 1.000250 s apart
const stamps: [Stamp, string[]][] = [
  [0, ['22:13:20.000000', '22:13:20.500000', '22:13:21.500250']],
  [1, ['', '', '']],
  [2, ['1700000000.000000', '1700000000.500000', '1700000001.500250']],
  [3, ['00:00:00.000000', '00:00:00.500000', '00:00:01.000250']],
  [4, ['2023-11-14 22:13:20.000000', '2023-11-14 22:13:20.500000', '2023-11-14 22:13:21.500250']],
  [5, ['00:00:00.000000', '00:00:00.500000', '00:00:01.500250']],
]
for (const [stamp, want] of stamps) {
  output(`output :: ${stamp ? '-' + 't'.repeat(stamp) : 'no -t'}: ${JSON.stringify(want)}`, () => {
    const format = textFormatter({stamp})
    const lines = [1700000000, 1700000000.5, 1700000001.50025].map((ts) => format(pkt({...udp4, ts, paylen: 1})))
    assert.equal(lines.map((l) => l.slice(0, l.indexOf('lo in')).trimEnd()), want)
  })
}

output('output :: -ttt counts from the previous packet of the same formatter only', () => {
  const a = textFormatter({stamp: 3})
  a(pkt({ts: 100}))
  assert.ok(a(pkt({ts: 101})).startsWith('00:00:01.000000 '))
  assert.ok(textFormatter({stamp: 3})(pkt({ts: 101})).startsWith('00:00:00.000000 '))
})

// ---- the table ----

const MIN_WIDTH = 60 // the narrowest terminal the table fits (INFO goes first)
const tablePackets = [udp4, tcp6, icmp4, arp, gre, ns6, longV6]

/** Where each column starts in a row: widths plus one space between columns. */
function columnStarts(layout: TableLayout): Map<string, number> {
  const starts = new Map<string, number>()
  let at = 0
  for (const c of layout.columns) {
    starts.set(c.title, at)
    at += c.width + 1
  }
  return starts
}

output('output :: the table header at 80 columns', () => {
  assert.is(tableHeader(tableLayout(80)), 'TIME         IFACE  DIR PROTO SOURCE          DESTINATION       LEN INFO')
})

output('output :: a table row at 80 columns', () => {
  assert.is(tableRow(tableLayout(80), tcp6), '22:13:21.500 eth0   out tcp   [2001:d…:1]:443 [2001:d…]:51000    86 [SA]')
})

output('output :: a table row without INFO (UDP) at 80 columns ends with LEN', () => {
  assert.is(tableRow(tableLayout(80), udp4), '22:13:20.123 lo     in  udp   127.0.0.1:40000 127.0.0.1:53       71')
})

output('output :: with attribution, a PROCESS column holds comm/pid and INFO the rest', () => {
  const layout = tableLayout(120, [], true)
  assert.is(tableHeader(layout), 'TIME         IFACE  DIR PROTO SOURCE                  DESTINATION              PROCESS                  LEN INFO')
  const owned = {...tcp6, pid: 12, comm: 'nginx', uid: 33, cgroup: '/', container: null, peer_pid: 88, peer_comm: 'curl'}
  assert.is(tableRow(layout, owned), '22:13:21.500 eth0   out tcp   [2001:db8::1]:443       [2001:db8::2]:51000      nginx/12 <- curl/88       86 [SA]')
  assert.is(tableRow(layout, {...udp4, pid: null, comm: null, uid: null, cgroup: null, container: null}).split(/\s+/)[6], '-')
})

output('output :: at 80 columns no PROCESS column (the endpoints keep their room): the owner leads INFO', () => {
  const layout = tableLayout(80, [], true)
  assert.is(tableHeader(layout), tableHeader(tableLayout(80, [])))
  assert.is(tableRow(layout, {...udp4, pid: 7, comm: 'dig', uid: 0, cgroup: '/', container: null}), '22:13:20.123 lo     in  udp   127.0.0.1:40000 127.0.0.1:53       71 dig/7')
})

output('output :: IFACE is as wide as the longest interface captured on (lo: the title\'s 5)', () => {
  assert.is(tableLayout(80, ['lo']).columns[1].width, 5)
  assert.is(tableLayout(200, ['lo', 'enp0s31f6']).columns[1].width, 9)
  assert.is(tableLayout(200, ['a-very-long-name']).columns[1].width, 15)
})

output('output :: the widest column gives way first: at 120 the endpoints shrink, the rest keep their width', () => {
  const layout = tableLayout(120, ['lo'])
  const w = Object.fromEntries(layout.columns.map((c) => [c.id, c.width]))
  assert.equal([w.time, w.iface, w.dir, w.proto, w.len], [12, 5, 3, 5, 5])
  assert.ok(w.src < 47 && w.dst < 47 && Math.abs(w.src - w.dst) <= 1, JSON.stringify(w))
  assert.is(w.info, 12)
})

output('output :: at 60 columns INFO goes, and the rest still fits', () => {
  const layout = tableLayout(60, ['lo'])
  assert.equal(layout.dropped, ['info'])
  assert.is(layout.width, 60)
  assert.is(tableHeader(layout), 'TIME         IFACE DIR PROTO SOURCE       DESTINATION    LEN')
})

for (const width of [60, 61, 80, 81, 120, 200, 300]) {
  const layout = tableLayout(width)
  const starts = columnStarts(layout)

  output(`output :: tableLayout(${width}) is ${width} wide (from ${MIN_WIDTH} up)`, () => {
    if (width >= MIN_WIDTH) assert.is(layout.width, width)
    assert.is(layout.width, layout.columns.reduce((sum, c) => sum + c.width, 0) + layout.columns.length - 1)
    const titles = ['TIME', 'IFACE', 'DIR', 'PROTO', 'SOURCE', 'DESTINATION', 'LEN', 'INFO']
    assert.equal(layout.columns.map((c) => c.title), width >= 65 ? titles : titles.slice(0, -1))
  })

  output(`output :: at ${width} columns the header fits and has no trailing spaces`, () => {
    const header = tableHeader(layout)
    assert.ok(header.length <= layout.width, `${header.length} > ${layout.width}`)
    assert.is(header, header.trimEnd())
    for (const c of layout.columns) {
      if (c.align === 'left') assert.is(header.indexOf(c.title), starts.get(c.title), c.title)
      else assert.is(header.indexOf(c.title) + c.title.length, starts.get(c.title)! + c.width, c.title)
    }
  })

  output(`output :: at ${width} columns every row fits in ${layout.width}`, () => {
    for (const p of tablePackets) {
      const row = tableRow(layout, p)
      assert.ok(row.length <= layout.width, `${row.length} > ${layout.width}: ${row}`)
    }
  })

  output(`output :: at ${width} columns no row has trailing spaces`, () => {
    for (const p of tablePackets) {
      const row = tableRow(layout, p)
      assert.is(row, row.trimEnd(), `the ${p.proto} row ends with a space: ${JSON.stringify(row)}`)
    }
  })

  output(`output :: at ${width} columns every row lines up with the header`, () => {
    const header = tableHeader(layout)
    const srcWidth = layout.columns[4].width
    const dstWidth = layout.columns[5].width
    const lenEnd = header.indexOf('LEN') + 3 // LEN is right-aligned: numbers end where the title ends
    for (const p of tablePackets) {
      const row = tableRow(layout, p)
      assert.is(row.indexOf(elide(endpoint(p.src, p.sport), srcWidth), header.indexOf('PROTO')), header.indexOf('SOURCE'), row)
      assert.is(row.indexOf(elide(endpoint(p.dst, p.dport), dstWidth), header.indexOf('DESTINATION')), header.indexOf('DESTINATION'), row)
      assert.is(row.slice(lenEnd - 5, lenEnd).trimStart(), String(p.len), row)
      const info = packetInfo(p)
      if (info && layout.columns.length === 8) {
        assert.is(row[lenEnd], ' ', row)
        assert.is(row.slice(header.indexOf('INFO')), truncate(info, layout.columns[7].width), row)
      }
    }
  })

  output(`output :: at ${width} columns a long IPv6 endpoint is elided with … and keeps its port`, () => {
    const row = tableRow(layout, longV6)
    const w = layout.columns[4].width
    const source = row.slice(starts.get('SOURCE')!, starts.get('SOURCE')! + w).trimEnd()
    const full = '[2001:db8:85a3:1234:5678:8a2e:370:7334]:65535'
    if (full.length <= w) {
      assert.is(source, full)
    } else {
      assert.is(source.length, w)
      assert.ok(source.includes('…'), source)
      // the port's digits always survive; at the narrowest (11) the "]:" before them does not
      assert.ok(source.endsWith(w >= 15 ? ']:65535' : '65535'), source)
      assert.ok(source.startsWith(w >= 12 ? '[2001:' : '[2001'), source)
    }
  })
}

output('output :: at 80 columns a long IPv6 source is exactly [2001:d…]:65535', () => {
  const row = tableRow(tableLayout(80), longV6)
  assert.ok(row.includes(' [2001:d…]:65535 '), row)
  assert.ok(row.includes(' [ffff:f…]:65535 '), row)
})

output('output :: at 200 columns the longest IPv6 endpoint is not elided', () => {
  const row = tableRow(tableLayout(200), longV6)
  assert.ok(row.includes(' [ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535 '), row)
})

output('output :: a long interface name is elided to the IFACE column', () => {
  const row = tableRow(tableLayout(80), longV6)
  assert.is(row.slice(13, 19), 'enp…f6')
})

output('output :: tableRows ends every row with a newline', () => {
  const layout = tableLayout(120)
  assert.is(tableRows(layout, [tcp6, arp]), `${tableRow(layout, tcp6)}\n${tableRow(layout, arp)}\n`)
  assert.is(tableRows(layout, []), '')
})

// ---- NDJSON and sinks ----

const ready: ReadyRecord = {v: 1, type: 'ready', ts: 1700000000.000001, interfaces: [{ifindex: 1, name: 'lo'}], ring_size: 8388608}
const allRecords: SidecarRecord[] = [
  udp4, tcp6, arp, longV6, ready,
  {v: 1, type: 'stats', ts: 1700000005.25, seen: 9, matched: 8, emitted: 5, dropped: 3, written: 5, final: true},
  {v: 1, type: 'error', code: 'runtime', message: 'ring buffer: "poll" failed\n', detail: 'ünïcode ✓'},
]

output('output :: ndjsonLines round trips every record', () => {
  const text = ndjsonLines(allRecords)
  assert.ok(text.endsWith('\n'))
  const lines = text.slice(0, -1).split('\n')
  assert.is(lines.length, allRecords.length)
  lines.forEach((line, i) => assert.equal(JSON.parse(line), allRecords[i]))
})

output('output :: ndjsonLines writes one compact object a line', () => {
  assert.is(ndjsonLines([{v: 1, type: 'error', code: 'runtime', message: 'x'}]), '{"v":1,"type":"error","code":"runtime","message":"x"}\n')
  assert.is(ndjsonLines([]), '')
})

output('output :: defaultFormat is a table on a terminal and text otherwise', () => {
  assert.is(defaultFormat(true), 'table')
  assert.is(defaultFormat(false), 'text')
  assert.is(defaultFormat(undefined), 'text')
})

function collect(): {out: string[]; write: (text: string) => void} {
  const out: string[] = []
  return {out, write: (text) => out.push(text)}
}

output("output :: packetSink('json') passes raw packet text through untouched", () => {
  const {out, write} = collect()
  const sink = packetSink('json', write)
  const raw = '{"v":1,"type":"packet","ts":1700000000.100000,"odd":  true}\nnot even JSON\n'
  assert.type(sink.rawPackets, 'function')
  assert.is(sink.packets, undefined)
  assert.is(sink.ready, undefined)
  sink.rawPackets!(raw)
  assert.equal(out, [raw])
})

output("output :: packetSink('text') renders a batch as text lines", () => {
  const {out, write} = collect()
  const sink = packetSink('text', write)
  assert.is(sink.rawPackets, undefined)
  sink.ready?.(ready)
  sink.packets!([udp4, icmp4])
  assert.equal(out, [
    '22:13:20.123456 lo in IP 127.0.0.1.40000 > 127.0.0.1.53: UDP, length 71\n22:13:22.000250 lo in IP 127.0.0.1 > 10.1.2.3: ICMP echo request, length 98\n',
  ])
})

output("output :: packetSink('table') writes the header on ready(), then rows", () => {
  const {out, write} = collect()
  const sink = packetSink('table', write, 120)
  assert.is(sink.rawPackets, undefined)
  sink.ready!(ready)
  sink.packets!([tcp6])
  sink.packets!([arp, gre])
  const layout = tableLayout(120, ['lo']) // IFACE as wide as the ready record's interfaces need
  assert.equal(out, [
    `${tableHeader(layout)}\n`,
    `${tableRow(layout, tcp6)}\n`,
    `${tableRow(layout, arp)}\n${tableRow(layout, gre)}\n`,
  ])
  assert.is(out[0].length, 120 - layout.columns[7].width + 'INFO'.length + 1)
})

output("output :: packetSink('table') without a width (stdout not a terminal) lays out 80 columns", () => {
  const {out, write} = collect()
  packetSink('table', write, undefined).ready!(ready)
  assert.equal(out, ['TIME         IFACE DIR PROTO SOURCE          DESTINATION        LEN INFO\n'])
})

const closing: [number, number, string][] = [
  [0, 0, '0 packets captured, 0 dropped'],
  [1, 0, '1 packet captured, 0 dropped'],
  [2, 1, '2 packets captured, 1 dropped'],
]
for (const [captured, dropped, line] of closing) {
  output(`output :: closing line for ${captured} captured: ${line}`, () => {
    assert.is(closingLine({captured, dropped}), line)
  })
}

const flowOf = (sport: number, packets: number, bytes: number) =>
  ({v: 1, type: 'flow', ifindex: 1, ifname: 'lo', dir: 'in', family: 4, proto: 'udp', src: '127.0.0.1', dst: '127.0.0.1', sport, dport: 53, packets, bytes, first: 1700000000, last: 1700000001}) as const
const statsAt = (overflow: number, final = false) =>
  ({v: 1, type: 'stats', ts: 1700000005.25, seen: 9, matched: 9, emitted: 9, dropped: 0, written: 9, final, overflow}) as const

output('output :: a flow block: flows largest first, aligned, with its totals', () => {
  assert.is(flowBlock([flowOf(40000, 2, 200), flowOf(40001, 7, 1400)], statsAt(0)), [
    '-- flows to 22:13:25.250: 2 flows, 9 packets, 1.6 kB',
    '   lo in udp 127.0.0.1:40001 > 127.0.0.1:53       7 packets    1.4 kB',
    '   lo in udp 127.0.0.1:40000 > 127.0.0.1:53       2 packets     200 B',
    '',
  ].join('\n'))
})

output('output :: a flow block: a TCP flow shows the OR of its flags as a packet line does', () => {
  const tcp = {...flowOf(40002, 5, 438), proto: 'tcp', dport: 8080, flags: 'FSPA'} as const
  assert.is(flowBlock([tcp, flowOf(40000, 2, 200)], statsAt(0)), [
    '-- flows to 22:13:25.250: 2 flows, 7 packets, 638 B',
    '   lo in tcp 127.0.0.1:40002 > 127.0.0.1:8080 [FSPA]       5 packets     438 B',
    '   lo in udp 127.0.0.1:40000 > 127.0.0.1:53                2 packets     200 B',
    '',
  ].join('\n'))
})

output('output :: a flow block says the overflow and the final batch', () => {
  const text = flowBlock([flowOf(40000, 1, 60)], statsAt(3, true))
  assert.match(text, /^-- flows to 22:13:25\.250: 1 flow, 1 packet, 60 B \(final\)\n/)
  assert.match(text, /\n   overflow: 3 packets in no flow since the start \(the flow table was full; --flow-entries\)\n$/)
})

output.run()
