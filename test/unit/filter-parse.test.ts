import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {formatAddress, parseAddress} from '../../src/filter/address.js'
import type {FilterNode} from '../../src/filter/ast.js'
import {caret, FilterError} from '../../src/filter/errors.js'
import {formatFilter} from '../../src/filter/format.js'
import {parseFilter} from '../../src/filter/parse.js'
import {tokenize} from '../../src/filter/tokens.js'

const filter = suite('filter-parse')

// ---- tokens ----

filter('filter :: tokens keep their kind, text and offset', () => {
  assert.equal(tokenize(' !(tcp&&port 443)||not  udp or x and y '), [
    {kind: 'not', text: '!', offset: 1},
    {kind: 'lparen', text: '(', offset: 2},
    {kind: 'word', text: 'tcp', offset: 3},
    {kind: 'and', text: '&&', offset: 6},
    {kind: 'word', text: 'port', offset: 8},
    {kind: 'word', text: '443', offset: 13},
    {kind: 'rparen', text: ')', offset: 16},
    {kind: 'or', text: '||', offset: 17},
    {kind: 'not', text: 'not', offset: 19},
    {kind: 'word', text: 'udp', offset: 24},
    {kind: 'or', text: 'or', offset: 28},
    {kind: 'word', text: 'x', offset: 31},
    {kind: 'and', text: 'and', offset: 33},
    {kind: 'word', text: 'y', offset: 37},
  ])
})

filter('filter :: tokens of addresses and ranges stay whole words', () => {
  assert.equal(tokenize('net 2001:db8::/32 portrange 1-2').map((t) => t.text), ['net', '2001:db8::/32', 'portrange', '1-2'])
})

filter('filter :: an empty or blank expression has no tokens', () => {
  assert.equal(tokenize(''), [])
  assert.equal(tokenize(' \t '), [])
})

filter("filter :: words named like Object's properties are plain words", () => {
  assert.equal(tokenize('constructor toString').map((t) => t.kind), ['word', 'word'])
})

// ---- addresses ----

// [text, canonical text, or undefined if it is not an address]
const addresses: [string, string | undefined][] = [
  ['10.0.0.1', '10.0.0.1'],
  ['0.0.0.0', '0.0.0.0'],
  ['255.255.255.255', '255.255.255.255'],
  ['256.0.0.1', undefined],
  ['10.0.0', undefined],
  ['10.0.0.01', undefined],
  ['::', '::'],
  ['::1', '::1'],
  ['0:0:0:0:0:0:0:1', '::1'],
  ['2001:DB8::1', '2001:db8::1'],
  ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
  ['2001:0db8:0000:0001:0000:0000:0000:0001', '2001:db8:0:1::1'],
  ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
  ['1::', '1::'],
  ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
  ['::ffff:c000:201', '::ffff:192.0.2.1'],
  ['64:ff9b::192.0.2.1', '64:ff9b::c000:201'],
  ['1:2:3:4:5:6:7:8:9', undefined],
  ['1:2:3:4:5:6:7', undefined],
  ['1::2::3', undefined],
  [':1', undefined],
  ['1:::2', undefined],
  ['12345::1', undefined],
  ['fe80::1%eth0', undefined],
  ['1.2.3.4::', undefined],
  ['example.com', undefined],
]
for (const [text, want] of addresses) {
  filter(`filter :: address '${text}' is ${want ?? 'refused'}`, () => {
    const addr = parseAddress(text)
    assert.is(addr && formatAddress(addr), want)
  })
}

// ---- expression -> tree, written back as text with a pair of parentheses per and/or ----

const trees: [string, string][] = [
  ['tcp', 'tcp'],
  ['udp', 'udp'],
  ['icmp', 'icmp'],
  ['icmp6', 'icmp6'],
  ['ip', 'ip'],
  ['ip6', 'ip6'],
  ['proto 47', 'proto gre'],
  ['proto 253', 'proto 253'],
  ['proto tcp', 'tcp'],
  ['proto \\udp', 'udp'],
  ['proto icmp', 'proto icmp'],
  ['ip proto 6', 'ip proto tcp'],
  ['ip6 proto 58', 'icmp6'],
  ['host 10.0.0.1', 'host 10.0.0.1'],
  ['src host 10.0.0.1', 'src host 10.0.0.1'],
  ['dst host ::1', 'dst host ::1'],
  ['src 10.0.0.1', 'src host 10.0.0.1'],
  ['ip6 dst 2001:DB8:0:0:0:0:0:1', 'dst host 2001:db8::1'],
  ['net 10.0.0.0/8', 'net 10.0.0.0/8'],
  ['src net 2001:db8::/32', 'src net 2001:db8::/32'],
  ['dst net 0.0.0.0/0', 'dst net 0.0.0.0/0'],
  ['net 192.0.2.7', 'host 192.0.2.7'],
  ['ip net 192.0.2.0/24', 'net 192.0.2.0/24'],
  ['port 443', 'port 443'],
  ['src port 53', 'src port 53'],
  ['dst port 0', 'dst port 0'],
  ['portrange 1000-2000', 'portrange 1000-2000'],
  ['portrange 2000-1000', 'portrange 1000-2000'],
  ['dst portrange 7-7', 'dst port 7'],
  ['tcp port 80', '(tcp and port 80)'],
  ['udp src portrange 1-1023', '(udp and src portrange 1-1023)'],
  ['in', 'in'],
  ['inbound', 'in'],
  ['out', 'out'],
  ['outbound', 'out'],
  ['iface eth0', 'iface eth0'],
  ['iface tcp', 'iface tcp'],
  ['tcpflags syn', 'tcpflags syn'],
  // pcap-filter(7) primitives a saved record has the fields for (-r)
  ['src or dst port 53', 'port 53'],
  ['src and dst net 10.0.0.0/8', 'src and dst net 10.0.0.0/8'],
  ['dst or src host ::1', 'host ::1'],
  ['net 10.213.77', 'net 10.213.77.0/24'],
  ['net 10', 'net 10.0.0.0/8'],
  ['net 192.168.0.0 mask 255.255.0.0', 'net 192.168.0.0/16'],
  ['port domain', 'port 53'],
  ['tcp port https', '(tcp and port 443)'],
  ['greater 1000 and less 1500', '(greater 1000 and less 1500)'],
  ['sctp or esp or ah', '((proto sctp or proto esp) or proto ah)'],
  ['igmp', 'ip proto igmp'],
  ['arp or rarp', '(arp or rarp)'],
  ['vlan 100 and udp', '(vlan 100 and udp)'],
  ['vlan', 'vlan'],
  // precedence: not binds tightest; and/or are equal and group left to right
  ['tcp or udp and port 53', '((tcp or udp) and port 53)'],
  ['tcp and udp or icmp', '((tcp and udp) or icmp)'],
  ['tcp or udp or icmp and in', '(((tcp or udp) or icmp) and in)'],
  ['not tcp and udp', '(not tcp and udp)'],
  ['not tcp or udp', '(not tcp or udp)'],
  ['not (tcp and udp)', 'not (tcp and udp)'],
  ['tcp or (udp and port 53)', '(tcp or (udp and port 53))'],
  ['!tcp||udp&&icmp', '((not tcp or udp) and icmp)'],
  ['not not tcp', 'not not tcp'],
  ['! ! (((tcp)))', 'not not tcp'],
  ['not portrange 1000-2000', 'not portrange 1000-2000'],
  // qualifier inheritance: a bare value after and/or/not takes the qualifiers before it
  ['port 80 or 443', '(port 80 or port 443)'],
  ['port 80 or 443 or 8080', '((port 80 or port 443) or port 8080)'],
  ['host 10.0.0.1 or 10.0.0.2', '(host 10.0.0.1 or host 10.0.0.2)'],
  ['host 10.0.0.1 or ::1', '(host 10.0.0.1 or host ::1)'],
  ['src host 10.0.0.1 and not 10.0.0.2', '(src host 10.0.0.1 and not src host 10.0.0.2)'],
  ['src 10.0.0.1 or 10.0.0.2', '(src host 10.0.0.1 or src host 10.0.0.2)'],
  ['net 10.0.0.0/8 or 192.168.0.0/16', '(net 10.0.0.0/8 or net 192.168.0.0/16)'],
  ['dst portrange 1-10 or 20-30', '(dst portrange 1-10 or dst portrange 20-30)'],
  ['not port 80 or 443', '(not port 80 or port 443)'],
  ['port 80 and not 443', '(port 80 and not port 443)'],
  ['port 80 or (443)', '(port 80 or port 443)'],
  ['port 80 or (host 1.2.3.4) or 443', '((port 80 or host 1.2.3.4) or port 443)'],
  ['port (80 or 443)', '(port 80 or port 443)'],
  ['port not 80', 'not port 80'],
  ['tcp port 80 or 443', '((tcp and port 80) or (tcp and port 443))'],
  ['ip proto 6 or 17', '(ip proto tcp or ip proto udp)'],
  ['proto gre or esp', '(proto gre or proto esp)'],
  ['iface eth0 or wlan0', '(iface eth0 or iface wlan0)'],
  ['tcpflags syn or rst', '(tcpflags syn or tcpflags rst)'],
  ['port 80 or tcp', '(port 80 or tcp)'],
  ['port 80 or in', '(port 80 or in)'],
]
for (const [expression, want] of trees) {
  filter(`filter :: '${expression}' parses as ${want}`, () => {
    assert.is(formatFilter(parseFilter(expression)), want)
  })
  filter(`filter :: '${want}' written back parses to the same tree`, () => {
    const tree = parseFilter(expression)
    assert.equal(parseFilter(formatFilter(tree)), tree)
  })
}

// the tree itself, for a few shapes
const shapes: [string, FilterNode][] = [
  ['', {type: 'all'}],
  ['  ', {type: 'all'}],
  ['src net 10.0.0.0/8', {type: 'addr', side: 'src', family: 4, bytes: [10, 0, 0, 0], prefix: 8}],
  ['host ::1', {type: 'addr', side: 'either', family: 6, bytes: [...Array(15).fill(0), 1], prefix: 128}],
  ['portrange 2000-1000', {type: 'port', side: 'either', lo: 1000, hi: 2000}],
  ['dst port 53', {type: 'port', side: 'dst', lo: 53, hi: 53}],
  ['tcp', {type: 'proto', proto: 6}],
  ['icmp', {type: 'proto', proto: 1, family: 4}],
  ['ip6 proto 17', {type: 'proto', proto: 17, family: 6}],
  ['tcp or udp and out', {
    type: 'and',
    left: {type: 'or', left: {type: 'proto', proto: 6}, right: {type: 'proto', proto: 17}},
    right: {type: 'dir', dir: 'out'},
  }],
  ['not iface lo', {type: 'not', expr: {type: 'iface', name: 'lo'}}],
  ['tcpflags ack', {type: 'tcpflag', flag: 'ack'}],
]
for (const [expression, want] of shapes) {
  filter(`filter :: the tree of '${expression}'`, () => {
    assert.equal(parseFilter(expression), want)
  })
}

// ---- errors: [expression, message, the offending word (empty at the end)] ----

const PRIMITIVE = "a primitive such as 'tcp', 'host 10.0.0.1' or 'port 443'"
const errors: [string, string, string][] = [
  ['port htttp', "expected a port number after 'port', got 'htttp'", 'htttp'],
  ['tcp and port htttp', "expected a port number after 'port', got 'htttp'", 'htttp'],
  ['port', "expected a port number after 'port', got the end of the expression", ''],
  ['port and tcp', "expected a port number after 'port', got 'and'", 'and'],
  ['port 80 or htttp', "expected a port number after 'or' (inheriting 'port'), got 'htttp'", 'htttp'],
  ['port 80-90', "expected a port number after 'port', got '80-90'; use 'portrange 80-90' for a range", '80-90'],
  ['port 65536', "port '65536' is out of range; ports are 0-65535", '65536'],
  ['port -1', "expected a port number after 'port', got '-1'", '-1'],
  ['portrange 80', "expected a port range like 1000-2000 after 'portrange', got '80'", '80'],
  ['portrange 1-70000', "port range '1-70000' is out of range; ports are 0-65535", '1-70000'],
  ['host example.com', "expected an IPv4 or IPv6 address after 'host', got 'example.com'", 'example.com'],
  ['host 256.1.1.1', "expected an IPv4 or IPv6 address after 'host', got '256.1.1.1'", '256.1.1.1'],
  ['host fe80::1%eth0', "expected an IPv4 or IPv6 address after 'host', got 'fe80::1%eth0'", 'fe80::1%eth0'],
  ['host 10.0.0.0/8', "'host' takes one address, got '10.0.0.0/8'; use 'net 10.0.0.0/8' for a network", '10.0.0.0/8'],
  ['src 10.0.0.0/8', "'src' takes one address, got '10.0.0.0/8'; use 'src net 10.0.0.0/8' for a network", '10.0.0.0/8'],
  ['host 10.0.0.1 or ::1 or db', "expected an IPv4 or IPv6 address after 'or' (inheriting 'host'), got 'db'", 'db'],
  ['net 10.0.0.1/8', "'10.0.0.1/8' has host bits set; the network is '10.0.0.0/8'", '10.0.0.1/8'],
  ['src net 2001:db8::1/32', "'2001:db8::1/32' has host bits set; the network is '2001:db8::/32'", '2001:db8::1/32'],
  ['net 10.0.0.0/33', "'10.0.0.0/33' has a prefix longer than the 32 bits of an IPv4 address", '10.0.0.0/33'],
  ['net ::/129', "'::/129' has a prefix longer than the 128 bits of an IPv6 address", '::/129'],
  ['net 10.0.0.256', "expected a network like 10.0.0.0/8 or 2001:db8::/32 after 'net', got '10.0.0.256'", '10.0.0.256'],
  ['net 10.0.0.0/x', "expected a network like 10.0.0.0/8 or 2001:db8::/32 after 'net', got '10.0.0.0/x'", '10.0.0.0/x'],
  ['ip6 host 10.0.0.1', "'ip6' cannot qualify the IPv4 address '10.0.0.1'", '10.0.0.1'],
  ['ip net 2001:db8::/32', "'ip' cannot qualify the IPv6 address '2001:db8::/32'", '2001:db8::/32'],
  ['tcp host 10.0.0.1', "'tcp' cannot qualify 'host'; it applies to port and portrange", 'host'],
  ['ip port 80', "'ip' cannot qualify 'port'; it applies to host, net and proto", 'port'],
  ['src proto 6', "'src' cannot qualify 'proto'; it applies to host, net, port and portrange", 'proto'],
  ['proto 256', "protocol '256' is out of range; protocol numbers are 0-255", '256'],
  ['proto foo', "expected a protocol number or name like 'tcp' after 'proto', got 'foo'", 'foo'],
  ['tcp or 80', `expected ${PRIMITIVE} after 'or', got '80'`, '80'],
  ['80', `expected ${PRIMITIVE}, got '80'`, '80'],
  ['TCP', `expected ${PRIMITIVE}, got 'TCP'`, 'TCP'],
  ['frobnicate', `expected ${PRIMITIVE}, got 'frobnicate'`, 'frobnicate'],
  ['(port 80) or 443', `expected ${PRIMITIVE} after 'or', got '443'`, '443'],
  ['tcp udp', "expected 'and' or 'or' after 'tcp', got 'udp'", 'udp'],
  ['port 443 http', "expected 'and' or 'or' after '443', got 'http'", 'http'],
  ['(tcp udp)', "expected 'and', 'or' or ')' after 'tcp', got 'udp'", 'udp'],
  ['(tcp', "expected ')' to close the '(' at character 1, got the end of the expression", ''],
  ['udp or ((tcp)', "expected ')' to close the '(' at character 8, got the end of the expression", ''],
  ['tcp)', "expected 'and' or 'or' after 'tcp', got ')', which closes no '('", ')'],
  ['()', `expected ${PRIMITIVE} after '(', got ')'`, ')'],
  ['tcp and', `expected ${PRIMITIVE} after 'and', got the end of the expression`, ''],
  ['not', `expected ${PRIMITIVE} after 'not', got the end of the expression`, ''],
  ['and tcp', `expected ${PRIMITIVE}, got 'and'`, 'and'],
  ['tcp or or udp', `expected ${PRIMITIVE} after 'or', got 'or'`, 'or'],
  ['tcp & udp', "expected '&&' or 'and', got a single '&'", '&'],
  ['tcp | udp', "expected '||' or 'or', got a single '|'", '|'],
  ['iface averyveryverylongname', "interface name 'averyveryverylongname' is longer than 15 characters", 'averyveryverylongname'],
  ['iface a,b', "expected an interface name after 'iface', got 'a,b'", 'a,b'],
  ['iface', "expected an interface name after 'iface', got the end of the expression", ''],
  ['tcpflags syn-ack', "expected a TCP flag (syn, ack, fin, rst, psh, urg, ece or cwr) after 'tcpflags', got 'syn-ack'", 'syn-ack'],
  ['tcpflags constructor', "expected a TCP flag (syn, ack, fin, rst, psh, urg, ece or cwr) after 'tcpflags', got 'constructor'", 'constructor'],
  ['src port', "expected a port number after 'port', got the end of the expression", ''],
  ['src', "expected an IPv4 or IPv6 address after 'src', got the end of the expression", ''],
  // what needs packet bytes cannot apply to a saved record
  ['tcp[tcpflags] & tcp-syn != 0', "'tcp[tcpflags]' reads the packet's bytes, which a saved record does not have: apply it when capturing (the kernel runs any tcpdump expression), or filter on what records carry (hosts, nets, ports, protocols, in/out, length, vlan)", 'tcp[tcpflags]'],
  ['udp and ip[6:2] & 0x1fff = 0', "'ip[6:2]' reads the packet's bytes, which a saved record does not have: apply it when capturing (the kernel runs any tcpdump expression), or filter on what records carry (hosts, nets, ports, protocols, in/out, length, vlan)", 'ip[6:2]'],
  ['ether host 02:00:00:00:00:01', "'ether' needs the packet's bytes, which a saved record does not have: apply it when capturing (the kernel runs any tcpdump expression), or filter on what records carry (hosts, nets, ports, protocols, in/out, length, vlan)", 'ether'],
  ['tcp or ip6 protochain 17', "'protochain' needs the packet's bytes, which a saved record does not have: apply it when capturing (the kernel runs any tcpdump expression), or filter on what records carry (hosts, nets, ports, protocols, in/out, length, vlan)", 'protochain'],
  ['len >= 100', "a saved record's length is compared with 'greater N' and 'less N'; arithmetic on 'len' applies when capturing", 'len'],
  ['port no-such-service', "expected a port number after 'port', got 'no-such-service'", 'no-such-service'],
  ['vlan 5000', "VLAN ID '5000' is out of range; VLAN IDs are 0-4095", '5000'],
  ['net 10.0.0.0 mask 255.0.255.0', "'255.0.255.0' is not a netmask (its ones must come first)", '255.0.255.0'],
]
for (const [expression, message, word] of errors) {
  filter(`filter :: '${expression}' is refused: ${message}`, () => {
    try {
      parseFilter(expression)
    } catch (error) {
      assert.instance(error, FilterError)
      const e = error as FilterError
      assert.is(e.message, message)
      assert.is(e.expression, expression)
      assert.is(expression.slice(e.offset, e.offset + e.length), word, 'the offset and length cover the offending word')
      if (word === '') assert.is(e.offset, expression.length)
      else assert.ok(message.includes(`'${word}'`), 'the message quotes the word')
      return
    }
    assert.unreachable('no FilterError')
  })
}

// ---- the caret ----

filter('filter :: caret() puts carets under the offending word', () => {
  assert.is(caret('tcp and port http', 13, 4), 'tcp and port http\n             ^^^^')
})

filter('filter :: caret() at the end of the expression is one caret after it', () => {
  assert.is(caret('tcp and', 7, 0), 'tcp and\n       ^')
})

filter("filter :: a FilterError's caret() marks its word", () => {
  try {
    parseFilter('host 10.0.0.1 and port htttp')
    assert.unreachable('no error')
  } catch (error) {
    assert.is((error as FilterError).caret(), 'host 10.0.0.1 and port htttp\n                       ^^^^^')
  }
})

filter.run()
