// PacketScanner: -r's byte-level reader of packet lines. A line it accepts, parseRecord
// accepts too, with the same values in the fields asked for; a line the sidecar writes
// it accepts (else -r would be as slow as before); anything else it hands back.
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {ByteLineSplitter} from '../../src/sidecar/lines.js'
import {PacketScanner} from '../../src/sidecar/packet-scan.js'
import {parseRecord, RECORD_FIELDS} from '../../src/sidecar/records.js'
import {KEY_READS, packetReads} from '../../src/summary/aggregate.js'

const scan = suite('packet-scan')

const ALL = [...Object.keys(RECORD_FIELDS.packet.required), ...Object.keys(RECORD_FIELDS.packet.optional)].filter((n) => n !== 'v' && n !== 'type')
const FLOW = packetReads('flow')

// as the sidecar writes them: its key order, ts with 6 digits, owners null or known
const sidecar = [
  '{"v":1,"type":"packet","ts":1796158955.807523,"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"icmp","src":"127.0.0.1","dst":"127.0.0.1","len":98,"paylen":64,"icmp_type":8,"icmp_code":0,"pid":null,"comm":null,"uid":null,"cgroup":null,"container":null}',
  '{"v":1,"type":"packet","ts":1796158956.223025,"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp","src":"127.0.0.1","dst":"127.0.0.1","sport":33799,"dport":5006,"len":45,"paylen":3,"pid":null,"comm":null,"uid":null,"cgroup":null,"container":null,"peer_pid":2329,"peer_comm":"bash"}',
  '{"v":1,"type":"packet","ts":1796158956.223030,"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"icmp","src":"127.0.0.1","dst":"127.0.0.1","len":73,"paylen":39,"icmp_type":3,"icmp_code":3,"inner_dst":"127.0.0.1","inner_proto":"udp","inner_dport":5006,"pid":null,"comm":null,"uid":null,"cgroup":null,"container":null}',
  '{"v":1,"type":"packet","ts":1700000001.500000,"ifindex":2,"ifname":"eth0","dir":"out","family":6,"proto":"tcp","src":"2001:db8::1","dst":"2001:db8::2","sport":443,"dport":51000,"len":86,"flags":"SA","pid":812,"comm":"nginx","uid":33,"cgroup":"/system.slice/nginx.service","container":null}',
  '{"v":1,"type":"packet","ts":1700000003.999999,"ifindex":2,"ifname":"eth0","dir":"in","family":0,"proto":"arp","ethertype":2054,"len":42,"arp_op":1,"arp_sha":"02:00:00:00:00:01","arp_spa":"10.0.0.1","arp_tpa":"10.0.0.2","smac":"02:00:00:00:00:01","dmac":"ff:ff:ff:ff:ff:ff"}',
  '{"v":1,"type":"packet","ts":1700000004.000000,"ifindex":3,"ifname":"eth0.10","dir":"in","family":4,"proto":47,"src":"10.0.0.1","dst":"10.0.0.2","len":1514,"frag":"first","vlan":10,"truncated":true}',
  '{"v":1,"type":"packet","ts":0.5,"ifindex":1,"ifname":"lo","dir":"in","family":4,"proto":"udp","src":"127.0.0.1","dst":"127.0.0.1","sport":0,"dport":65535,"len":0}',
]

const bytes = (line: string) => Buffer.from(line, 'utf8')
// a field asked for and not on the line is undefined in the record (one shape for all)
const pick = (record: object, fields: readonly string[]) => Object.fromEntries(Object.entries(record).filter(([k, v]) => (k === 'v' || k === 'type' || fields.includes(k)) && v !== undefined))

for (const [i, line] of sidecar.entries()) {
  scan(`packet-scan :: the sidecar's line ${i + 1} is read, with exactly the fields asked for`, () => {
    for (const fields of [ALL, FLOW, [], ...Object.values(KEY_READS)]) {
      const got = new PacketScanner(fields).scan(bytes(line), 0, bytes(line).length)
      assert.ok(got, line)
      assert.equal(pick(got, fields), pick(parseRecord(line, 1), fields))
      assert.equal(Object.keys(got).filter((k) => k !== 'v' && k !== 'type').sort(), [...new Set(fields)].sort())
    }
  })
}

scan('packet-scan :: a line inside a larger buffer is read between its bounds', () => {
  const joined = bytes(`${sidecar[0]}\n${sidecar[3]}\n`)
  const start = sidecar[0].length + 1
  assert.equal(pick(new PacketScanner(ALL).scan(joined, start, joined.length - 1)!, ALL), parseRecord(sidecar[3], 1))
})

scan('packet-scan :: a value seen before is read from the memo under the right family', () => {
  const s = new PacketScanner(ALL)
  const v4 = sidecar[1]
  // the same src text, once as IPv4 (right), once under family 6 (an IPv6 address is wanted): not from the memo
  assert.ok(s.scan(bytes(v4), 0, bytes(v4).length))
  const wrong = v4.replace('"family":4', '"family":6')
  assert.is(s.scan(bytes(wrong), 0, bytes(wrong).length), undefined)
  assert.throws(() => parseRecord(wrong, 1), /"src" should be an IPv6 address/)
})

// [what, line]: each is handed back, for parseRecord to judge (its verdict may be yes)
const handedBack: [string, string][] = [
  ['another record type', '{"v":1,"type":"stats","ts":1700000005.250000,"seen":9,"matched":8,"emitted":5,"dropped":3,"written":5,"final":true}'],
  ['spaces between tokens', sidecar[1].replace('"len":45', '"len": 45')],
  ['a trailing carriage return', `${sidecar[1]}\r`],
  ['an escape in a string', sidecar[1].replace('"bash"', '"ba\\u0073h"')],
  ['a non-ASCII string', sidecar[3].replace('"nginx"', '"ngïnx"')],
  ['an exponent', sidecar[1].replace('"len":45', '"len":4.5e1')],
  ['a field twice', sidecar[1].replace('"len":45', '"len":45,"len":46')],
  ['an unknown field', sidecar[1].replace('"len":45', '"len":45,"pad":1')],
  ['a missing required field', sidecar[1].replace('"ifname":"lo",', '')],
  ['a wrong JSON type', sidecar[1].replace('"len":45', '"len":"45"')],
  ['a negative len', sidecar[1].replace('"len":45', '"len":-5')],
  ['a port past 65535', sidecar[1].replace('"sport":33799', '"sport":70000')],
  ['a direction that is neither in nor out', sidecar[1].replace('"dir":"in"', '"dir":"sideways"')],
  ['a source that is not an address', sidecar[1].replace('"src":"127.0.0.1"', '"src":"not-an-ip"')],
  ['family 9', sidecar[1].replace('"family":4', '"family":9')],
  ['an empty comm', sidecar[3].replace('"nginx"', '""')],
  ['flags out of order', sidecar[3].replace('"SA"', '"AS"')],
  ['truncated false', sidecar[5].replace('"truncated":true', '"truncated":false')],
  ['a leading zero', sidecar[1].replace('"len":45', '"len":045')],
  ['a cut line', sidecar[1].slice(0, 80)],
  ['a control character in a string', sidecar[1].replace('"bash"', '"ba\u0001sh"')],
]
for (const [name, line] of handedBack) {
  scan(`packet-scan :: ${name}: handed back to parseRecord`, () => {
    for (const fields of [ALL, FLOW, []]) assert.is(new PacketScanner(fields).scan(bytes(line), 0, bytes(line).length), undefined)
  })
}

// Each JSON type of the contract's packet fields, and each kind of rule: [what, line, verdict].
// read: the scanner reads it (the same values as parseRecord); back: handed back, and
// parseRecord accepts it; refused: handed back, and parseRecord refuses it. Each is tried
// with a fresh scanner and with one that has just read the unchanged line (its memos full).
const U = sidecar[1] // udp, owners null, a peer
const T = sidecar[3] // tcp over IPv6, flags, an owner
const A = sidecar[4] // ARP: family 0, MACs
const G = sidecar[5] // GRE: proto a number, frag, vlan, truncated
type Verdict = 'read' | 'back' | 'refused'
const FIELD_TYPES: [string, string, string, Verdict][] = [
  ['number: a fraction', U, U.replace('"ts":1796158956.223025', '"ts":0.000001'), 'read'],
  ['number: a whole number', U, U.replace('"ts":1796158956.223025', '"ts":1796158956'), 'read'],
  ['number: past 2^53', U, U.replace('"ts":1796158956.223025', '"ts":123456789012345678901'), 'read'],
  ['number: negative, below its minimum', U, U.replace('"ts":1796158956.223025', '"ts":-1.5'), 'refused'],
  ['number: an exponent', U, U.replace('"ts":1796158956.223025', '"ts":1.7e9'), 'back'],
  ['number: a dot without digits', U, U.replace('"ts":1796158956.223025', '"ts":1.'), 'refused'],
  ['number: a string', U, U.replace('"ts":1796158956.223025', '"ts":"1"'), 'refused'],
  ['integer: its maximum', U, U.replace('"len":45', '"len":4294967295'), 'read'],
  ['integer: past its maximum', U, U.replace('"len":45', '"len":4294967296'), 'refused'],
  ['integer: a fraction', U, U.replace('"len":45', '"len":45.5'), 'refused'],
  ['integer: 45.0, an integer to JSON.parse', U, U.replace('"len":45', '"len":45.0'), 'back'],
  ['integer: null', U, U.replace('"len":45', '"len":null'), 'refused'],
  ['integer: minus zero', U, U.replace('"len":45', '"len":-0'), 'read'],
  ['boolean: true', G, G, 'read'],
  ['boolean: false where only true is allowed', G, G.replace('"truncated":true', '"truncated":false'), 'refused'],
  ['boolean: a string', G, G.replace('"truncated":true', '"truncated":"true"'), 'refused'],
  ['string|integer: a name', U, U, 'read'],
  ['string|integer: a number', G, G, 'read'],
  ['string|integer: past 255', G, G.replace('"proto":47', '"proto":256'), 'refused'],
  ['string|integer: an empty name', U, U.replace('"proto":"udp"', '"proto":""'), 'refused'],
  ['string|integer: null', U, U.replace('"proto":"udp"', '"proto":null'), 'refused'],
  ['integer|null: null', U, U, 'read'],
  ['integer|null: a pid', T, T, 'read'],
  ['integer|null: pid 0, below its minimum', T, T.replace('"pid":812', '"pid":0'), 'refused'],
  ['integer|null: a string', T, T.replace('"pid":812', '"pid":"812"'), 'refused'],
  ['string|null: null', U, U, 'read'],
  ['string|null: empty', T, T.replace('"comm":"nginx"', '"comm":""'), 'refused'],
  ['string|null: an escape JSON.parse undoes', T, T.replace('"comm":"nginx"', '"comm":"ngi\\u006ex"'), 'back'],
  ['string|null: an escaped quote', T, T.replace('"comm":"nginx"', '"comm":"a\\"b"'), 'back'],
  ['string|null: a backslash alone', T, T.replace('"comm":"nginx"', '"comm":"a\\b"'), 'refused'],
  ['string|null: non-ASCII', T, T.replace('"comm":"nginx"', '"comm":"ngïnx"'), 'back'],
  ['string|null: a raw tab', T, T.replace('"comm":"nginx"', '"comm":"a\tb"'), 'refused'],
  ['string|null: a number', T, T.replace('"comm":"nginx"', '"comm":5'), 'refused'],
  ['string: an interface with no name', U, U.replace('"ifname":"lo"', '"ifname":""'), 'read'],
  ['string: an enum value', T, T.replace('"dir":"out"', '"dir":"unknown"'), 'read'],
  ['string: not in the enum', T, T.replace('"dir":"out"', '"dir":"Out"'), 'refused'],
  ['string: a pattern kept', T, T.replace('"flags":"SA"', '"flags":""'), 'read'],
  ['string: a pattern broken', T, T.replace('"flags":"SA"', '"flags":"X"'), 'refused'],
  ['string: a MAC', A, A, 'read'],
  ['string: not a MAC', A, A.replace('"smac":"02:00:00:00:00:01"', '"smac":"02:00:00:00:00:0g"'), 'refused'],
  ['string: an IPv4 text in ARP', A, A.replace('"arp_tpa":"10.0.0.2"', '"arp_tpa":"10.0.0.256"'), 'read'],
  ['address: IPv4 under family 4', U, U.replace('"src":"127.0.0.1"', '"src":"10.1.2.3"'), 'read'],
  ['address: IPv6 under family 4', U, U.replace('"src":"127.0.0.1"', '"src":"::1"'), 'refused'],
  ['address: IPv4 under family 6', T, T.replace('"src":"2001:db8::1"', '"src":"10.0.0.1"'), 'refused'],
  ['address: mapped IPv4 under family 6', T, T.replace('"src":"2001:db8::1"', '"src":"::ffff:10.0.0.1"'), 'read'],
  ['address: under family 0', A, A.replace('"ethertype"', '"src":"10.0.0.1","ethertype"'), 'refused'],
  ['string: a long payload (only its length matters when not asked for)', U, U.replace('"len":45', `"len":45,"data":"${'0a'.repeat(200)}"`), 'read'],
  ['string: a long cgroup', T, T.replace('"cgroup":"/system.slice/nginx.service"', `"cgroup":"/${'x'.repeat(300)}"`), 'read'],
  ['an unknown field', U, U.replace('"len":45', '"len":45,"pad":null'), 'refused'],
  ['a required field missing', U, U.replace('"dir":"in",', ''), 'refused'],
  ['an optional field missing', U, U.replace('"paylen":3,', ''), 'read'],
  ['the fields in another order', U, U.replace('"sport":33799,"dport":5006', '"dport":5006,"sport":33799'), 'read'],
  ['a field twice', U, U.replace('"dport":5006', '"dport":5006,"dport":5007'), 'refused'],
  ['nothing after the last comma', U, U.replace('}', ',}'), 'refused'],
  ['an empty line', U, '', 'refused'],
  ['not an object', U, '[1,2]', 'refused'],
  ['another version', U, U.replace('"v":1', '"v":2'), 'refused'],
]
for (const [what, before, line, verdict] of FIELD_TYPES) {
  scan(`packet-scan :: ${what}: ${verdict}`, () => {
    let want: ReturnType<typeof parseRecord> | undefined
    try {
      want = parseRecord(line, 1)
    } catch (error) {
      assert.is(verdict, 'refused', (error as Error).message)
    }
    if (verdict !== 'refused') assert.ok(want, 'parseRecord accepts it')
    for (const fields of [ALL, FLOW, []]) {
      for (const primed of [false, true]) {
        const s = new PacketScanner(fields)
        if (primed) assert.ok(s.scan(bytes(before), 0, bytes(before).length), before)
        const got = s.scan(bytes(line), 0, bytes(line).length)
        if (verdict === 'read') assert.equal(pick(got ?? {}, fields), pick(want!, fields), `${line} (${fields.length} fields, primed: ${primed})`)
        else assert.is(got, undefined, `${line} (${fields.length} fields, primed: ${primed})`)
      }
    }
  })
}

scan('packet-scan :: never accepts what parseRecord refuses: every one-byte change of the sidecar lines', () => {
  const replacements = ['', '"', ',', ':', '}', '{', '\\', ' ', '0', '1', '9', '-', '.', 'e', 'a', 'x', 'n', 't', '[', '\u00ff']
  let accepted = 0
  let tried = 0
  for (const line of sidecar) {
    for (let at = 0; at < line.length; at++) {
      for (const r of replacements) {
        const mutated = line.slice(0, at) + r + line.slice(at + 1)
        const b = bytes(mutated)
        tried++
        // a fresh scanner, and one that has just read the line unchanged (its fields' last values kept)
        for (const [fields, primed] of [[ALL, false], [FLOW, false], [ALL, true], [FLOW, true]] as const) {
          const scanner = new PacketScanner(fields)
          if (primed) assert.ok(scanner.scan(bytes(line), 0, bytes(line).length))
          const got = scanner.scan(b, 0, b.length)
          if (got === undefined) continue
          accepted++
          let want
          try {
            want = parseRecord(mutated, 1)
          } catch (error) {
            assert.unreachable(`accepted what parseRecord refuses: ${mutated}: ${(error as Error).message}`)
          }
          assert.equal(pick(got, fields), pick(want!, fields), mutated)
        }
      }
    }
  }
  // the changes that keep a valid record (another digit, another letter in a name) are read
  assert.ok(accepted > 2000 && accepted < 4 * tried, `${accepted} of ${tried}`)
})

scan('packet-scan :: a line like the one before but for its ts is read as parseRecord reads it', () => {
  // a flood of one flow: only the ts changes; exact at 6 digits, at 7 (past 2^53: the full scan's), at 0.x and with fewer digits
  const stamps = ['1796158956.223031', '1796158956.999999', '1796158957.000000', '1796158957.0000005', '0.5', '0.000001', '1796158957.5', '17961589570.000001', '0', '-1.5', '1e9', '1796158957.']
  for (const fields of [ALL, FLOW, [], ['ts'], ['len']]) {
    const s = new PacketScanner(fields)
    for (const line of sidecar) {
      for (const ts of stamps) {
        const again = line.replace(/"ts":[^,]*/, `"ts":${ts}`)
        let want
        try {
          want = parseRecord(again, 1)
        } catch {
          // refused: handed back (-1.5 is below the ts's minimum, 1796158957. is no JSON number)
        }
        const got = s.scan(bytes(again), 0, bytes(again).length)
        if (want === undefined) assert.is(got, undefined, again)
        // 1e9: an exponent, the scan hands it back for parseRecord
        else if (got !== undefined) assert.equal(pick(got, fields), pick(want, fields), `${again} (${fields.length} fields)`)
        else assert.ok(ts === '1e9', again)
      }
    }
  }
})

scan('packet-scan :: a line like the one before but for one byte after its ts is read again in full', () => {
  const s = new PacketScanner(ALL)
  const line = sidecar[1]
  assert.ok(s.scan(bytes(line), 0, bytes(line).length))
  for (const [from, to] of [['"len":45', '"len":46'], ['"dport":5006', '"dport":5007'], ['"peer_comm":"bash"', '"peer_comm":"bas"'], ['"family":4', '"family":6']]) {
    const other = line.replace('"ts":1796158956.223025', '"ts":1796158956.223026').replace(from, to)
    let want
    try {
      want = parseRecord(other, 1)
    } catch {
      // family 6 with IPv4 addresses: refused
    }
    const got = s.scan(bytes(other), 0, bytes(other).length)
    if (want === undefined) assert.is(got, undefined, other)
    else assert.equal(pick(got!, ALL), pick(want, ALL), other)
  }
})

scan('packet-scan :: an unknown field to decode is a programming error', () => {
  assert.throws(() => new PacketScanner(['nope']), /nope is not a packet field/)
})

scan('packet-scan :: ByteLineSplitter numbers lines across chunks, as LineSplitter', () => {
  const lines: [string, number][] = []
  const splitter = new ByteLineSplitter()
  const on = (b: Buffer, s: number, e: number, n: number) => lines.push([b.toString('utf8', s, e), n])
  for (const chunk of ['ab', 'c\n\nde', 'f\ng', 'h\n', 'lo', 'n', 'g\n', 'ta', 'il']) splitter.push(Buffer.from(chunk), on)
  splitter.end(on)
  assert.equal(lines, [['abc', 1], ['', 2], ['def', 3], ['gh', 4], ['long', 5], ['tail', 6]])
})

scan.run()
