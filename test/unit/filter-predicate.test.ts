import {BlockList, isIP} from 'node:net'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {formatFilter} from '../../src/filter/format.js'
import {matches, parseFilter} from '../../src/filter/index.js'
import type {FilterNode} from '../../src/filter/index.js'
import type {PacketRecord} from '../../src/sidecar/records.js'

const filter = suite('filter-predicate')

const IFINDEX: Record<string, number> = {lo: 1, eth0: 2, wlan0: 3}

/** A packet record with the required fields filled in. */
const pkt = (fields: Partial<PacketRecord>): PacketRecord => ({
  v: 1, type: 'packet', ts: 1700000000, ifindex: IFINDEX[fields.ifname ?? 'eth0'], ifname: 'eth0', dir: 'in', family: 4, proto: 'udp', len: 60, ...fields,
})

// A fixed mix: TCP/UDP/ICMP on both families, fragments, port-less and non-IP packets, three interfaces.
const PACKETS = {
  tcpSyn: pkt({dir: 'in', proto: 'tcp', src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 443, flags: 'S'}),
  tcpSynAck: pkt({dir: 'out', proto: 'tcp', src: '10.0.0.2', dst: '10.0.0.1', sport: 443, dport: 40000, flags: 'SA'}),
  tcpData: pkt({dir: 'in', proto: 'tcp', src: '10.0.0.1', dst: '10.0.0.2', sport: 40000, dport: 443, flags: 'PA'}),
  http: pkt({dir: 'out', proto: 'tcp', src: '192.168.1.10', dst: '93.184.216.34', sport: 51000, dport: 80, flags: 'S'}),
  ssh: pkt({dir: 'in', proto: 'tcp', src: '10.1.2.3', dst: '10.0.0.1', sport: 22, dport: 50022, flags: 'A'}),
  dnsQuery: pkt({dir: 'out', proto: 'udp', src: '10.0.0.1', dst: '8.8.8.8', sport: 53000, dport: 53}),
  dnsReply: pkt({dir: 'in', proto: 'udp', src: '8.8.8.8', dst: '10.0.0.1', sport: 53, dport: 53000}),
  loUdp: pkt({ifname: 'lo', dir: 'in', proto: 'udp', src: '127.0.0.1', dst: '127.0.0.1', sport: 1500, dport: 2000}),
  edge999: pkt({dir: 'in', proto: 'udp', src: '10.0.0.5', dst: '10.0.0.6', sport: 999, dport: 1000}),
  edge2001: pkt({dir: 'in', proto: 'udp', src: '10.0.0.6', dst: '10.0.0.5', sport: 2001, dport: 2001}),
  ping: pkt({dir: 'out', proto: 'icmp', src: '10.0.0.1', dst: '10.0.0.2', icmp_type: 8, icmp_code: 0}),
  pong: pkt({dir: 'in', proto: 'icmp', src: '10.0.0.2', dst: '10.0.0.1', icmp_type: 0, icmp_code: 0}),
  loPing: pkt({ifname: 'lo', dir: 'in', proto: 'icmp', src: '127.0.0.1', dst: '127.0.0.1', icmp_type: 8, icmp_code: 0}),
  fragFirst: pkt({dir: 'in', proto: 'udp', src: '10.0.0.1', dst: '10.0.0.2', sport: 5000, dport: 53, frag: 'first'}),
  fragLater: pkt({dir: 'in', proto: 'udp', src: '10.0.0.1', dst: '10.0.0.2', frag: 'later'}),
  gre: pkt({dir: 'out', proto: 'gre', src: '10.0.0.1', dst: '10.0.0.2'}),
  esp: pkt({dir: 'in', proto: 'esp', src: '198.51.100.7', dst: '10.0.0.1'}),
  proto253: pkt({dir: 'in', proto: 253, src: '10.0.0.9', dst: '10.0.0.1'}),
  igmp: pkt({dir: 'out', proto: 'igmp', src: '10.0.0.1', dst: '224.0.0.1'}),
  sctp: pkt({dir: 'in', proto: 'sctp', src: '10.0.0.2', dst: '10.0.0.1', sport: 3868, dport: 9}),
  udplite: pkt({dir: 'in', proto: 'udplite', src: '10.0.0.2', dst: '10.0.0.1', sport: 7000, dport: 7001}),
  dhcp: pkt({ifname: 'wlan0', dir: 'out', proto: 'udp', src: '0.0.0.0', dst: '255.255.255.255', sport: 68, dport: 67}),
  truncTcp: pkt({dir: 'in', proto: 'tcp', src: '10.0.0.3', dst: '10.0.0.1', truncated: true}),
  tcp6SynAck: pkt({dir: 'out', family: 6, proto: 'tcp', src: '2001:db8::1', dst: '2001:db8::2', sport: 443, dport: 51000, flags: 'SA'}),
  tcp6Syn: pkt({dir: 'in', family: 6, proto: 'tcp', src: '2001:db8::2', dst: '2001:db8::1', sport: 51000, dport: 443, flags: 'S'}),
  loDns6: pkt({ifname: 'lo', dir: 'in', family: 6, proto: 'udp', src: '0:0:0:0:0:0:0:1', dst: '::1', sport: 5353, dport: 53}),
  udp6Far: pkt({dir: 'in', family: 6, proto: 'udp', src: '2001:db8:1::5', dst: '2001:db8:2::9', sport: 1234, dport: 1000}),
  ping6: pkt({dir: 'out', family: 6, proto: 'icmp6', src: 'fe80::1', dst: 'ff02::1', icmp_type: 128, icmp_code: 0}),
  ns6: pkt({dir: 'in', family: 6, proto: 'icmp6', src: '2001:db8::2', dst: 'ff02::1:ff00:1', icmp_type: 135, icmp_code: 0}),
  dccp6: pkt({dir: 'in', family: 6, proto: 'dccp', src: '2001:db8::2', dst: '2001:db8::1', sport: 5004, dport: 5005}),
  frag6Later: pkt({dir: 'in', family: 6, proto: 'udp', src: '2001:db8::2', dst: '2001:db8::1', frag: 'later'}),
  icmpIn6: pkt({dir: 'in', family: 6, proto: 'icmp', src: '2001:DB8::2', dst: '2001:db8:0::1'}),
  mapped6: pkt({dir: 'in', family: 6, proto: 'tcp', src: '::ffff:10.0.0.1', dst: '::ffff:10.0.0.2', sport: 80, dport: 81, flags: 'S'}),
  arp: pkt({dir: 'in', family: 0, proto: 'arp', ethertype: 0x0806}),
  lldp: pkt({dir: 'in', family: 0, proto: 'lldp', ethertype: 0x88cc}),
  other: pkt({dir: 'out', family: 0, proto: '0x88b5', ethertype: 0x88b5}),
} satisfies Record<string, PacketRecord>
type Name = keyof typeof PACKETS
const NAMES = Object.keys(PACKETS) as Name[]

/** The names of the packets `accept` accepts, in table order. */
const accepted = (accept: (p: PacketRecord) => boolean): Name[] => NAMES.filter((n) => accept(PACKETS[n]))
const allBut = (...names: Name[]): Name[] => NAMES.filter((n) => !names.includes(n))

// ---- the exact predicate: [expression, the packets it accepts] ----

const TCP: Name[] = ['tcpSyn', 'tcpSynAck', 'tcpData', 'http', 'ssh', 'truncTcp', 'tcp6SynAck', 'tcp6Syn', 'mapped6']
const PORT_53: Name[] = ['dnsQuery', 'dnsReply', 'fragFirst', 'loDns6']
const PORTRANGE: Name[] = ['loUdp', 'edge999', 'udp6Far']
const predicates: [string, Name[]][] = [
  ['', NAMES],
  ['tcp', TCP],
  ['not tcp', allBut(...TCP)],
  ['udp', ['dnsQuery', 'dnsReply', 'loUdp', 'edge999', 'edge2001', 'fragFirst', 'fragLater', 'dhcp', 'loDns6', 'udp6Far', 'frag6Later']],
  ['icmp', ['ping', 'pong', 'loPing']],
  ['icmp6', ['ping6', 'ns6']],
  ['proto icmp', ['ping', 'pong', 'loPing', 'icmpIn6']],
  ['ip6 proto 1', ['icmpIn6']],
  ['ip6', ['tcp6SynAck', 'tcp6Syn', 'loDns6', 'udp6Far', 'ping6', 'ns6', 'dccp6', 'frag6Later', 'icmpIn6', 'mapped6']],
  ['not ip and not ip6', ['arp', 'lldp', 'other']],
  ['port 53', PORT_53],
  ['not port 53', allBut(...PORT_53)],
  ['portrange 1000-2000', PORTRANGE],
  ['not portrange 1000-2000', allBut(...PORTRANGE)],
  ['src portrange 1000-2000', ['loUdp', 'udp6Far']],
  ['dst port 443', ['tcpSyn', 'tcpData', 'tcp6Syn']],
  ['port 443', ['tcpSyn', 'tcpSynAck', 'tcpData', 'tcp6SynAck', 'tcp6Syn']],
  ['port 80 or 81', ['http', 'mapped6']],
  ['port 9 or 3868', ['sctp']],
  ['port 7001', ['udplite']],
  ['dst port 5005', ['dccp6']],
  ['ip6 and port 53', ['loDns6']],
  ['host 10.0.0.1', ['tcpSyn', 'tcpSynAck', 'tcpData', 'ssh', 'dnsQuery', 'dnsReply', 'ping', 'pong', 'fragFirst', 'fragLater', 'gre', 'esp', 'proto253', 'igmp', 'sctp', 'udplite', 'truncTcp']],
  ['host 10.0.0.1 and host 10.0.0.2', ['tcpSyn', 'tcpSynAck', 'tcpData', 'ping', 'pong', 'fragFirst', 'fragLater', 'gre', 'sctp', 'udplite']],
  ['src host 10.0.0.1', ['tcpSyn', 'tcpData', 'dnsQuery', 'ping', 'fragFirst', 'fragLater', 'gre', 'igmp']],
  ['src net 10.0.0.0/8 and not src net 10.0.0.0/24', ['ssh']],
  ['host ::1', ['loDns6']],
  ['host ::ffff:10.0.0.1', ['mapped6']],
  ['net 2001:db8::/32', ['tcp6SynAck', 'tcp6Syn', 'udp6Far', 'ns6', 'dccp6', 'frag6Later', 'icmpIn6']],
  ['net 2001:db8:1::/48 or net 10.1.0.0/16', ['udp6Far', 'ssh']],
  ['dst net 224.0.0.0/4 or dst net ff00::/8', ['igmp', 'ping6', 'ns6']],
  ['out', ['tcpSynAck', 'http', 'dnsQuery', 'ping', 'gre', 'igmp', 'dhcp', 'tcp6SynAck', 'ping6', 'other']],
  ['iface lo', ['loUdp', 'loPing', 'loDns6']],
  ['iface wlan0 or iface lo and udp', ['loUdp', 'dhcp', 'loDns6']],
  ['iface wlan0 or (iface lo and udp)', ['loUdp', 'dhcp', 'loDns6']],
  ['udp and iface wlan0 or iface lo', ['loUdp', 'loPing', 'dhcp', 'loDns6']],
  ['proto 253', ['proto253']],
  ['proto gre or esp', ['gre', 'esp']],
  ['tcpflags syn', ['tcpSyn', 'tcpSynAck', 'http', 'tcp6SynAck', 'tcp6Syn', 'mapped6']],
  ['tcp and not tcpflags ack', ['tcpSyn', 'http', 'truncTcp', 'tcp6Syn', 'mapped6']],
  ['ip and not udp and not tcp', ['ping', 'pong', 'loPing', 'gre', 'esp', 'proto253', 'igmp', 'sctp', 'udplite']],
]
for (const [expression, want] of predicates) {
  filter(`filter :: '${expression}' accepts exactly ${want.length} of ${NAMES.length} packets`, () => {
    const ast = parseFilter(expression)
    assert.equal(accepted((p) => matches(ast, p)), NAMES.filter((n) => want.includes(n)))
    assert.is(new Set(want).size, want.length, 'no name twice in the row')
  })
}

filter.run()
