import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {compileClauses, compileFilter, encodeClauses, explainFilter, FilterError, formatFilter, MAX_CLAUSES, MAX_LITERALS, NEVER, parseFilter} from '../../src/filter/index.js'
import type {Literal} from '../../src/filter/index.js'

const filter = suite('filter-compile')

const NOTHING = ['family=4,!family=4']

/** The --clause strings and exactness of an expression. */
const compiled = (expression: string) => {
  const {clauses, exact} = compileClauses(parseFilter(expression))
  return {clauses: encodeClauses(clauses), exact}
}

// [expression, --clause strings, exact]
const rows: [string, string[], boolean][] = [
  ['', [], true],
  ['tcp', ['proto=6'], true],
  ['udp', ['proto=17'], true],
  ['icmp', ['family=4,proto=1'], true],
  ['icmp6', ['family=6,proto=58'], true],
  ['ip6', ['family=6'], true],
  ['proto 253', ['proto=253'], true],
  ['ip proto 47 or ip6 proto 47', ['family=4,proto=47', 'family=6,proto=47'], true],
  ['in', ['dir=in'], true],
  ['not in', ['!dir=in'], true],
  ['iface eth0 and in and tcp and dst port 22', ['dir=in,iface=eth0,proto=6,dport=22-22'], true],
  // negation pushed down with De Morgan
  ['not icmp', ['!family=4', '!proto=1'], true],
  ['not ip and not ip6', ['!family=4,!family=6'], true],
  ['not (tcp and port 22)', ['!proto=6', '!port=22-22'], true],
  ['not tcp or not port 22', ['!proto=6', '!port=22-22'], true],
  ['not portrange 1000-2000', ['!port=1000-2000'], true],
  ['not src portrange 1000-2000', ['!sport=1000-2000'], true],
  ['not (icmp or icmp6)', ['!family=4,!family=6', '!family=4,!proto=58', '!family=6,!proto=1', '!proto=1,!proto=58'], true],
  ['not net 0.0.0.0/0', ['!host=0.0.0.0/0'], true],
  // precedence: and/or equal, left to right
  ['tcp and port 443', ['proto=6,port=443-443'], true],
  ['tcp or udp and port 53', ['proto=6,port=53-53', 'proto=17,port=53-53'], true],
  ['tcp or (udp and port 53)', ['proto=6', 'proto=17,port=53-53'], true],
  ['(tcp or udp) and (port 53 or port 853)', ['proto=6,port=53-53', 'proto=6,port=853-853', 'proto=17,port=53-53', 'proto=17,port=853-853'], true],
  ['in and not iface lo and (tcp or udp) and not port 22', ['dir=in,!iface=lo,proto=6,!port=22-22', 'dir=in,!iface=lo,proto=17,!port=22-22'], true],
  // addresses and families
  ['net 2001:db8::/32', ['host=2001:db8::/32'], true],
  ['src net 2001:db8:0:0::/64', ['src=2001:db8::/64'], true],
  ['dst host 2001:DB8:0:0:0:0:0:1', ['dst=2001:db8::1/128'], true],
  ['host ::ffff:192.0.2.1', ['host=::ffff:192.0.2.1/128'], true],
  ['net ::/0', ['host=::/0'], true],
  ['net 10.0.0.0/8 or net 2001:db8::/32', ['host=10.0.0.0/8', 'host=2001:db8::/32'], true],
  ['host 10.0.0.1 or host ::1', ['host=10.0.0.1/32', 'host=::1/128'], true],
  ['host 10.0.0.1 and host 10.0.0.2', ['host=10.0.0.1/32,host=10.0.0.2/32'], true],
  ['ip and host 10.0.0.1', ['host=10.0.0.1/32'], true],
  ['ip6 and not host ::1', ['family=6,!host=::1/128'], true],
  ['ip and not host ::1', ['family=4'], true],
  ['ip6 and (port 53 or host 10.0.0.1)', ['family=6,port=53-53'], true],
  ['net 10.0.0.0/8 and host 10.1.2.3', ['host=10.1.2.3/32'], true],
  ['src net 10.0.0.0/8 and src host 10.1.2.3', ['src=10.1.2.3/32'], true],
  ['udp and (port 53 or 5353) and not src host 10.0.0.1', ['proto=17,!src=10.0.0.1/32,port=53-53', 'proto=17,!src=10.0.0.1/32,port=5353-5353'], true],
  // qualifier inheritance
  ['port 80 or 443', ['port=80-80', 'port=443-443'], true],
  ['tcp port 80 or 443', ['proto=6,port=80-80', 'proto=6,port=443-443'], true],
  ['host 10.0.0.1 or 10.0.0.2', ['host=10.0.0.1/32', 'host=10.0.0.2/32'], true],
  // exact merges
  ['port 80 or port 81', ['port=80-81'], true],
  ['portrange 1-10 or portrange 5-20', ['port=1-20'], true],
  ['src port 53 or dst port 53', ['port=53-53'], true],
  ['src host 10.0.0.1 or dst host 10.0.0.1', ['host=10.0.0.1/32'], true],
  ['net 10.0.0.0/9 or net 10.128.0.0/9', ['host=10.0.0.0/8'], true],
  ['src net 10.0.0.0/16 or src net 10.1.0.0/16 or src net 10.2.0.0/16 or src net 10.3.0.0/16', ['src=10.0.0.0/14'], true],
  ['not port 1 and not port 2', ['!port=1-2'], true],
  ['src portrange 1-100 and src portrange 50-200', ['sport=50-100'], true],
  ['tcp or tcp and port 80', ['proto=6,port=80-80'], true],
  ['tcp or (tcp and port 80)', ['proto=6'], true],
  ['tcp or not tcp', [], true],
  ['in or out', [], true],
  ['port 1 and port 2', ['port=1-1,port=2-2'], true],
  // contradictions: no packet can match
  ['tcp and udp', NOTHING, true],
  ['tcp and not tcp', NOTHING, true],
  ['in and out', NOTHING, true],
  ['src port 1 and src port 2', NOTHING, true],
  ['icmp and port 80', NOTHING, true],
  ['ip6 and net 10.0.0.0/8', NOTHING, true],
  ['src net 2001:db8::/64 and dst net 10.0.0.0/8', NOTHING, true],
  ['src net 10.0.0.0/16 and src net 10.1.0.0/16', NOTHING, true],
  // the kernel has no TCP flags: a superset, checked again in user space
  ['tcpflags syn', ['proto=6'], false],
  ['tcp and not tcpflags syn', ['proto=6'], false],
  ['not tcpflags syn', [], false],
  ['tcpflags syn and port 80', ['proto=6,port=80-80'], false],
  ['not (tcpflags syn and port 80)', [], false],
  // too many clauses or literals: widened to fit
  ['port 1 or port 3 or port 5 or port 7 or port 9 or port 11 or port 13 or port 15 or port 17 or port 19',
    ['port=1-3', 'port=5-7', 'port=9-9', 'port=11-11', 'port=13-13', 'port=15-15', 'port=17-17', 'port=19-19'], false],
  ['not port 1 and not port 3 and not port 5 and not port 7 and not port 9 and not port 11 and not port 13 and not port 15 and not port 17 and not port 19',
    ['!port=1-1,!port=3-3,!port=5-5,!port=7-7,!port=9-9,!port=11-11,!port=13-13,!port=15-15'], false],
  ['in and iface eth0 and tcp and src net 10.0.0.0/8 and dst net 10.0.0.0/8 and src portrange 1-60000 and dst portrange 1-60000 and not port 22 and not port 25',
    ['dir=in,iface=eth0,proto=6,src=10.0.0.0/8,dst=10.0.0.0/8,sport=1-60000,dport=1-60000,!port=22-22'], false],
]
for (const [expression, clauses, exact] of rows) {
  filter(`filter :: '${expression}' compiles to ${JSON.stringify(clauses)}${exact ? '' : ' (a superset)'}`, () => {
    assert.equal(compiled(expression), {clauses, exact})
  })
}

// expressions whose normal form is bigger than the kernel's limits
const big = [
  '(host 10.0.0.1 or host 10.0.0.2 or host 2001:db8::1) and (port 22 or port 53 or port 443) and (in or iface lo)',
  '(port 22 or port 53 or port 80 or port 443) and (host 10.0.0.1 or host 10.0.0.2 or host 2001:db8::1 or host 2001:db8::2)',
  '(tcp or udp or icmp or icmp6) and (in or iface lo or iface eth0) and (port 1 or port 3 or port 5)',
  `not (${Array.from({length: 12}, (_, i) => `port ${2 * i + 1}`).join(' or ')}) and ${Array.from({length: 12}, (_, i) => `host 10.0.${i}.1`).join(' or ')}`,
  Array.from({length: 40}, (_, i) => `(port ${3 * i} or host 10.0.0.${i})`).join(' and '),
]
for (const expression of big) {
  filter(`filter :: '${expression.slice(0, 60)}...' fits in ${MAX_CLAUSES} x ${MAX_LITERALS} and is marked a superset`, () => {
    const {clauses, exact} = compileClauses(parseFilter(expression))
    assert.is(exact, false)
    assert.ok(clauses.length <= MAX_CLAUSES, `${clauses.length} clauses`)
    for (const clause of clauses) assert.ok(clause.length >= 1 && clause.length <= MAX_LITERALS, `${clause.length} literals`)
  })
}

filter('filter :: a very long expression compiles quickly', () => {
  const expression = Array.from({length: 40}, (_, i) => `(port ${3 * i} or host 10.0.0.${i} or not in)`).join(' and ')
  const start = performance.now()
  compileClauses(parseFilter(expression))
  assert.ok(performance.now() - start < 2000, `${performance.now() - start} ms`)
})

// ---- the --clause encoding ----

const literals: [Literal, string][] = [
  [{kind: 'dir', negate: false, dir: 'in'}, 'dir=in'],
  [{kind: 'dir', negate: true, dir: 'out'}, '!dir=out'],
  [{kind: 'iface', negate: false, name: 'eth0'}, 'iface=eth0'],
  [{kind: 'family', negate: false, family: 6}, 'family=6'],
  [{kind: 'proto', negate: true, proto: 0}, '!proto=0'],
  [{kind: 'proto', negate: false, proto: 255}, 'proto=255'],
  [{kind: 'src', negate: false, family: 4, bytes: [10, 0, 0, 0], prefix: 8}, 'src=10.0.0.0/8'],
  [{kind: 'dst', negate: false, family: 6, bytes: [...Array(15).fill(0), 1], prefix: 128}, 'dst=::1/128'],
  [{kind: 'host', negate: true, family: 4, bytes: [192, 0, 2, 1], prefix: 32}, '!host=192.0.2.1/32'],
  [{kind: 'host', negate: false, family: 6, bytes: Array(16).fill(0), prefix: 0}, 'host=::/0'],
  [{kind: 'sport', negate: false, lo: 53, hi: 53}, 'sport=53-53'],
  [{kind: 'dport', negate: false, lo: 1000, hi: 2000}, 'dport=1000-2000'],
  [{kind: 'port', negate: true, lo: 0, hi: 65535}, '!port=0-65535'],
]
for (const [literal, text] of literals) {
  filter(`filter :: the literal ${text}`, () => {
    assert.equal(encodeClauses([[literal]]), [text])
  })
}

filter('filter :: a clause is its literals joined by commas; one string per clause', () => {
  assert.equal(encodeClauses([[literals[0][0], literals[10][0]], [literals[3][0]]]), ['dir=in,sport=53-53', 'family=6'])
  assert.equal(encodeClauses([]), [])
})

filter('filter :: the clause set for nothing is family=4 and not family=4', () => {
  assert.equal(encodeClauses([NEVER]), NOTHING)
})

filter('filter :: every literal written matches the documented grammar', () => {
  const grammar = /^!?(dir=(in|out)|iface=[^,=/:\s]{1,15}|family=[46]|proto=\d{1,3}|(src|dst|host)=[0-9a-f.:]+\/\d{1,3}|(sport|dport|port)=\d{1,5}-\d{1,5})$/
  for (const [expression] of rows) {
    for (const clause of compiled(expression).clauses) {
      for (const literal of clause.split(',')) assert.match(literal, grammar, `${expression}: ${literal}`)
    }
  }
})

// ---- compileFilter: the words of a command line ----

filter('filter :: trailing words and one quoted word are the same filter', () => {
  const words = compileFilter(['tcp', 'and', 'port', '443'])
  const quoted = compileFilter(['tcp and port 443'])
  assert.equal(words, quoted)
  assert.is(words.text, 'tcp and port 443')
  assert.is(formatFilter(words.ast), '(tcp and port 443)')
  assert.equal(encodeClauses(words.clauses), ['proto=6,port=443-443'])
  assert.is(words.exact, true)
})

filter('filter :: no words is every packet', () => {
  assert.equal(compileFilter([]), {ast: {type: 'all'}, clauses: [], exact: true, text: ''})
})

filter("filter :: an error's offset counts in the words joined by spaces", () => {
  try {
    compileFilter(['tcp', 'and', 'port', 'http'])
    assert.unreachable('no error')
  } catch (error) {
    assert.instance(error, FilterError)
    const e = error as FilterError
    assert.is(e.message, "expected a port number after 'port', got 'http'")
    assert.is(e.expression, 'tcp and port http')
    assert.is(e.offset, 13)
    assert.is(e.caret(), 'tcp and port http\n             ^^^^')
  }
})

// ---- explain ----

filter('filter :: explain an exact filter', () => {
  assert.equal(explainFilter(compileFilter(['tcp or udp and port 53'])), [
    'filter:     tcp or udp and port 53',
    'parsed as:  ((tcp or udp) and port 53)',
    'kernel:     2 clauses (a packet passes if every literal of any one clause holds)',
    '  --clause proto=6,port=53-53',
    '  --clause proto=17,port=53-53',
    'user space: nothing; the kernel applies the whole filter',
  ])
})

filter('filter :: explain a superset and the empty filter', () => {
  assert.equal(explainFilter(compileFilter(['not', 'tcpflags', 'syn'])), [
    'filter:     not tcpflags syn',
    'parsed as:  not tcpflags syn',
    'kernel:     no clauses: every packet passes',
    'user space: the kernel passes a superset; each packet it passes is checked against the parsed filter',
  ])
  assert.equal(explainFilter(compileFilter([])), [
    'filter:     (none: every packet)',
    'kernel:     no clauses: every packet passes',
    'user space: nothing; the kernel applies the whole filter',
  ])
})

filter.run()
