import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {LineSplitter} from '../../src/sidecar/lines.js'
import {PACKET_PREFIX, RecordError, parseRecord} from '../../src/sidecar/records.js'

const records = suite('records')

// Lines as the sidecar writes them (sidecar/records.c): fixed key order, ts with 6 digits.
const good: [string, string][] = [
  ['a UDP v4 packet', '{"v":1,"type":"packet","ts":1700000000.123456,"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp","src":"127.0.0.1","dst":"127.0.0.1","sport":40000,"dport":53,"len":71}'],
  ['a TCP v6 packet with flags', '{"v":1,"type":"packet","ts":1700000001.500000,"ifindex":2,"ifname":"eth0","dir":"out","family":6,"proto":"tcp","src":"2001:db8::1","dst":"2001:db8::2","sport":443,"dport":51000,"len":86,"flags":"SA"}'],
  ['an ICMPv6 packet', '{"v":1,"type":"packet","ts":1700000002.000250,"ifindex":2,"ifname":"eth0","dir":"in","family":6,"proto":"icmp6","src":"fe80::1","dst":"ff02::1","len":86,"icmp_type":135,"icmp_code":0}'],
  ['a non-IP packet (family 0)', '{"v":1,"type":"packet","ts":1700000003.999999,"ifindex":2,"ifname":"eth0","dir":"in","family":0,"proto":"arp","ethertype":2054,"len":42}'],
  ['a packet with a numeric proto, frag, vlan and truncated', '{"v":1,"type":"packet","ts":1700000004.000000,"ifindex":3,"ifname":"eth0.10","dir":"in","family":4,"proto":47,"src":"10.0.0.1","dst":"10.0.0.2","len":1514,"frag":"first","vlan":10,"truncated":true}'],
  ['a ready record', '{"v":1,"type":"ready","ts":1700000000.000001,"interfaces":[{"ifindex":1,"name":"lo"},{"ifindex":2,"name":"eth0"}],"ring_size":8388608}'],
  ['a stats record', '{"v":1,"type":"stats","ts":1700000005.250000,"seen":9,"matched":8,"emitted":5,"dropped":3,"written":5,"final":true}'],
  ['an error record', '{"v":1,"type":"error","code":"permission","message":"needs CAP_BPF"}'],
  ['an error record with detail', '{"v":1,"type":"error","code":"load_failed","message":"the kernel refused the program","detail":"libbpf: prog \'sockwatch\': -EPERM"}'],
]
for (const [name, text] of good) {
  records(`records :: parses ${name}`, () => {
    assert.equal(parseRecord(text, 1), JSON.parse(text))
  })
}

// [what, line text, line number, the exact message]
const bad: [string, string, number, string][] = [
  ['a line that is not JSON', 'hello', 1, 'line 1: not JSON: "hello"'],
  ['an empty line', '', 9, 'line 9: an empty line'],
  ['a line of spaces', '   ', 4, 'line 4: an empty line'],
  ['truncated JSON', '{"v":1,"type":"packet","ts":17', 7, 'line 7: not JSON: "{\\"v\\":1,\\"type\\":\\"packet\\",\\"ts\\":17"'],
  ['a long non-JSON line, quoting only its start', 'x'.repeat(100), 4, `line 4: not JSON: "${'x'.repeat(57)}..."`],
  ['a JSON array', '[1,2]', 3, 'line 3: not a JSON object: "[1,2]"'],
  ['a JSON number', '42', 12, 'line 12: not a JSON object: "42"'],
  ['JSON null', 'null', 5, 'line 5: not a JSON object: "null"'],
  ['a JSON string', '"packet"', 6, 'line 6: not a JSON object: "\\"packet\\""'],
  ['a record without v', '{"type":"stats","ts":1,"seen":0,"matched":0,"emitted":0,"dropped":0,"written":0,"final":true}', 2, 'line 2: a JSON object without "v", the record version: not a sockwatch record'],
  ['a record with v 2', '{"v":2,"type":"stats","ts":1,"seen":0,"matched":0,"emitted":0,"dropped":0,"written":0,"final":true}', 8, 'line 8: record version 2 is not 1, the version this sockwatch reads'],
  ['a record with v "1"', '{"v":"1","type":"error","code":"runtime","message":"x"}', 8, 'line 8: record version "1" is not 1, the version this sockwatch reads'],
  ['an unknown record type', '{"v":1,"type":"hello"}', 10, 'line 10: unknown record type "hello"'],
  ['a record without a type', '{"v":1}', 11, 'line 11: unknown record type undefined'],
  ['a type that names an Object.prototype member', '{"v":1,"type":"constructor"}', 13, 'line 13: unknown record type "constructor"'],
  ['a type that is not a string', '{"v":1,"type":1}', 14, 'line 14: unknown record type 1'],
  ['a packet with ts as a string', '{"v":1,"type":"packet","ts":"1700000000.5","ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp","len":71}', 15, 'line 15: packet record\'s "ts" should be a number, got "1700000000.5"'],
  ['a packet without len', '{"v":1,"type":"packet","ts":1700000000.5,"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp"}', 16, 'line 16: packet record\'s "len" should be an integer, got nothing'],
  ['a packet with a fractional len', '{"v":1,"type":"packet","ts":1700000000.5,"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp","len":1.5}', 17, 'line 17: packet record\'s "len" should be an integer, got 1.5'],
  ['a packet whose optional sport is a string', '{"v":1,"type":"packet","ts":1700000000.5,"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp","sport":"80","len":71}', 18, 'line 18: packet record\'s "sport" should be an integer, got "80"'],
  ['a packet whose optional truncated is a string', '{"v":1,"type":"packet","ts":1700000000.5,"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp","len":71,"truncated":"yes"}', 19, 'line 19: packet record\'s "truncated" should be a boolean, got "yes"'],
  ['a packet whose optional flags is null', '{"v":1,"type":"packet","ts":1700000000.5,"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"tcp","len":71,"flags":null}', 20, 'line 20: packet record\'s "flags" should be a string, got null'],
  ['a stats record with final as a string', '{"v":1,"type":"stats","ts":1,"seen":0,"matched":0,"emitted":0,"dropped":0,"written":0,"final":"true"}', 21, 'line 21: stats record\'s "final" should be a boolean, got "true"'],
  ['an error record without message', '{"v":1,"type":"error","code":"runtime"}', 22, 'line 22: error record\'s "message" should be a string, got nothing'],
]
for (const [what, text, line, message] of bad) {
  records(`records :: rejects ${what}, naming line ${line}`, () => {
    try {
      parseRecord(text, line)
    } catch (error) {
      assert.instance(error, RecordError)
      const e = error as RecordError
      assert.is(e.name, 'RecordError')
      assert.is(e.line, line)
      assert.is(e.message, message)
      return
    }
    assert.unreachable(`parseRecord accepted ${text}`)
  })
}

// Fields whose message wording is not pinned here, only the line and the field.
const badField: [string, string, string][] = [
  ['a packet with proto true', '{"v":1,"type":"packet","ts":1,"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":true,"len":71}', 'packet record\'s "proto" should be '],
  ['a packet with a fractional proto', '{"v":1,"type":"packet","ts":1,"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":1.5,"len":71}', 'packet record\'s "proto" should be '],
  ['a ready record without interfaces', '{"v":1,"type":"ready","ts":1,"ring_size":4096}', 'ready record\'s "interfaces" should be '],
  ['a ready record whose interfaces is an object', '{"v":1,"type":"ready","ts":1,"interfaces":{"lo":1},"ring_size":4096}', 'ready record\'s "interfaces" should be '],
]
for (const [what, text, start] of badField) {
  records(`records :: rejects ${what}`, () => {
    assert.throws(() => parseRecord(text, 31), (e: Error) => e instanceof RecordError && e.line === 31 && e.message.startsWith(`line 31: ${start}`))
  })
}

records('records :: every packet line in the good table starts with PACKET_PREFIX', () => {
  const packets = good.filter(([, text]) => text.includes('"type":"packet"'))
  assert.is(packets.length, 5)
  for (const [, text] of packets) assert.ok(text.startsWith(PACKET_PREFIX), text)
  assert.is(PACKET_PREFIX, '{"v":1,"type":"packet",')
})

records.run()

const lines = suite('lines')

/** Feeds chunks to a fresh splitter; returns [line, number] pairs and the splitter. */
function split(chunks: string[], end: boolean): {got: [string, number][]; splitter: LineSplitter} {
  const splitter = new LineSplitter()
  const got: [string, number][] = []
  const onLine = (line: string, n: number) => {
    got.push([line, n])
  }
  for (const chunk of chunks) splitter.push(chunk, onLine)
  if (end) splitter.end(onLine)
  return {got, splitter}
}

// [what, chunks, call end(), expected [line, number] pairs]
const splits: [string, string[], boolean, [string, number][]][] = [
  ['one line in one chunk', ['a\n'], false, [['a', 1]]],
  ['a line split mid-way over two chunks', ['{"v":', '1}\n'], false, [['{"v":1}', 1]]],
  ['a line split over three chunks', ['ab', 'cd', 'ef\ngh\n'], false, [['abcdef', 1], ['gh', 2]]],
  ['several lines in one chunk', ['a\nb\nc\n'], false, [['a', 1], ['b', 2], ['c', 3]]],
  ['empty lines, numbered and passed as empty strings', ['a\n\nb\n'], false, [['a', 1], ['', 2], ['b', 3]]],
  ['a first line that is empty', ['\nx\n'], false, [['', 1], ['x', 2]]],
  ['an empty line at the start of a chunk', ['a\n', '\nb\n'], false, [['a', 1], ['', 2], ['b', 3]]],
  ['a chunk that only ends the pending line', ['abc', '\n'], false, [['abc', 1]]],
  ['empty chunks', ['', 'a', '', '\n', ''], false, [['a', 1]]],
  ['CRLF, which is not special', ['a\r\nb\r\n'], false, [['a\r', 1], ['b\r', 2]]],
  ['a lone CR, which does not end a line', ['a\rb\n'], false, [['a\rb', 1]]],
  ['numbering that continues across chunks', ['a\nb', 'c\nd\n', 'e\n'], false, [['a', 1], ['bc', 2], ['d', 3], ['e', 4]]],
  ['an unterminated last line, held back without end()', ['a\nb'], false, [['a', 1]]],
  ['an unterminated last line, handed out by end()', ['a\nb'], true, [['a', 1], ['b', 2]]],
  ['an unterminated last line over two chunks, handed out by end()', ['a\nb', 'c'], true, [['a', 1], ['bc', 2]]],
  ['end() after a terminated last line adds nothing', ['a\nb\n'], true, [['a', 1], ['b', 2]]],
  ['end() on an empty stream adds nothing', [], true, []],
]
for (const [what, chunks, end, want] of splits) {
  lines(`lines :: ${what}`, () => {
    const {got, splitter} = split(chunks, end)
    assert.equal(got, want)
    assert.is(splitter.count, want.length)
  })
}

lines('lines :: end() twice hands out the last line once', () => {
  const splitter = new LineSplitter()
  const got: string[] = []
  splitter.push('x\ny', (l) => got.push(l))
  splitter.end((l) => got.push(l))
  splitter.end((l) => got.push(l))
  assert.equal(got, ['x', 'y'])
  assert.is(splitter.count, 2)
})

lines('lines :: a bad record in a split stream is reported with its line number', () => {
  const splitter = new LineSplitter()
  const stream = '{"v":1,"type":"error","code":"runtime","message":"a"}\n\n{"v":1,"type":"error","code":"runtime","message":"b"}\nnot json\n'
  const seen: string[] = []
  const chunks = [stream.slice(0, 20), stream.slice(20, 61), stream.slice(61)]
  assert.throws(() => {
    for (const chunk of chunks) splitter.push(chunk, (l, n) => {
      if (l === '') return // skip blank lines but keep their numbers
      seen.push((parseRecord(l, n) as {message: string}).message)
    })
  }, (e: Error) => e instanceof RecordError && e.line === 4 && e.message === 'line 4: not JSON: "not json"')
  assert.equal(seen, ['a', 'b'])
})

lines.run()
