// The IPFIX encoder against RFC 7011's layouts, byte for byte: the message header
// (3.1), field specifiers with and without the enterprise bit (3.2), template and
// options template records (3.4.1, 3.4.2), sets (3.3.2), data records (3.4.3) and
// variable-length values (7). The expected bytes are written out by hand from the
// RFC's figures, not produced by the code under test.
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {END_REASON, IE} from '../../src/export/ipfix/elements.js'
import {encodeMessage, encodeRecord, encodeSet, encodeTemplateRecord, encodeValue, EncodeError, ipv6Bytes, variableLength} from '../../src/export/ipfix/encode.js'
import {FLOW_TEMPLATES, flowTemplateId, RELIABILITY_TEMPLATE, templateFor, type ExportFlow} from '../../src/export/ipfix/templates.js'

const enc = suite('ipfix-encode')
const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex')
const eq = (actual: Buffer, expected: string) => assert.is(actual.toString('hex'), hex(expected).toString('hex'))

const flow = (fields: Partial<ExportFlow> = {}): ExportFlow => ({
  family: 4, dir: 'in', ifindex: 2, proto: 17, ethertype: 0, src: '192.0.2.1', dst: '198.51.100.7', sport: 40000, dport: 53,
  packets: 3, bytes: 300, tcpFlags: 0, startMs: 1_700_000_000_123, endMs: 1_700_000_001_456, reason: END_REASON.idleTimeout, ...fields,
})

enc('ipfix :: message header: version 10, length, export time, sequence, observation domain', () => {
  const set = hex('0100 0008 deadbeef')
  eq(encodeMessage({exportTime: 1_700_000_000, sequence: 7, observationDomainId: 0x01020304}, [set]), `
    000a 0018   6553f100   00000007   01020304
    0100 0008 deadbeef`)
})

enc('ipfix :: sequence numbers wrap modulo 2^32', () => {
  const m = encodeMessage({exportTime: 0, sequence: 2 ** 32 + 5, observationDomainId: 1}, [])
  eq(m, '000a 0010 00000000 00000005 00000001')
})

enc('ipfix :: template record, IPv4 flow seen coming in: 13 IANA field specifiers, tcpControlBits (6) in 1 octet (reduced size)', () => {
  const t = FLOW_TEMPLATES.find((x) => x.id === flowTemplateId(4, 'in', false))!
  eq(encodeTemplateRecord(t), `
    0100 000d
    0008 0004  000c 0004  0007 0002  000b 0002  0004 0001  0006 0001
    000a 0004  003d 0001
    0002 0008  0001 0008  0098 0008  0099 0008  0088 0001`)
})

enc('ipfix :: template record, IPv6 flow going out with owner: egressInterface and enterprise 32473 elements', () => {
  const t = FLOW_TEMPLATES.find((x) => x.id === flowTemplateId(6, 'out', true))!
  eq(encodeTemplateRecord(t), `
    0107 0012
    001b 0010  001c 0010  0007 0002  000b 0002  0004 0001  0006 0001
    000e 0004  003d 0001
    0002 0008  0001 0008  0098 0008  0099 0008  0088 0001
    8001 0004 00007ed9  8003 0004 00007ed9  8002 ffff 00007ed9  8004 ffff 00007ed9  8005 ffff 00007ed9`)
})

enc('ipfix :: options template record: scope field count, observationDomainId as scope', () => {
  eq(encodeTemplateRecord(RELIABILITY_TEMPLATE), `
    010c 0009 0001
    0095 0004
    0143 0008  00a4 0008  00a5 0008  00a6 0008  00a7 0008  00a8 0008
    8006 0008 00007ed9  8007 0008 00007ed9`)
})

enc('ipfix :: template IDs: 12 flow templates from 256, the options template next, all distinct', () => {
  assert.equal(FLOW_TEMPLATES.map((t) => t.id), [256, 257, 258, 259, 260, 261, 262, 263, 264, 265, 266, 267])
  assert.is(RELIABILITY_TEMPLATE.id, 268)
  assert.is(templateFor(flow({family: 6, dir: 'out'})).id, 262)
  assert.is(templateFor(flow({family: 0, dir: 'in'})).id, 264)
})

enc('ipfix :: data record, IPv4 UDP in: fields in template order, network byte order', () => {
  eq(encodeRecord(templateFor(flow()), flow()), `
    c0000201 c6336407 9c40 0035 11 00
    00000002 00
    0000000000000003 000000000000012c
    0000018bcfe5687b 0000018bcfe56db0
    01`)
})

enc('ipfix :: data record, IPv6 TCP out: tcpControlBits FIN|SYN|PSH|ACK = 0x1b, egress interface, direction 1', () => {
  const f = flow({family: 6, dir: 'out', proto: 6, src: '2001:db8::1', dst: '::ffff:192.0.2.9', sport: 443, dport: 51000, ifindex: 7, tcpFlags: 0x1b, reason: END_REASON.activeTimeout})
  eq(encodeRecord(templateFor(f), f), `
    20010db8000000000000000000000001 00000000000000000000ffffc0000209 01bb c738 06 1b
    00000007 01
    0000000000000003 000000000000012c
    0000018bcfe5687b 0000018bcfe56db0
    02`)
})

enc('ipfix :: data record, not IP (ARP): ethernetType instead of addresses, ports and tcpControlBits', () => {
  const f = flow({family: 0, proto: 0, ethertype: 0x0806, src: undefined, dst: undefined, sport: undefined, dport: undefined, packets: 1, bytes: 42})
  eq(encodeRecord(templateFor(f), f), `
    0806 00000002 00
    0000000000000001 000000000000002a
    0000018bcfe5687b 0000018bcfe56db0
    01`)
})

enc('ipfix :: data record with owner: pid, uid, then variable-length comm, cgroup, container', () => {
  const f = flow({owner: {pid: 4242, uid: 1000, comm: 'curl', cgroup: '/user.slice', container: null}})
  const r = encodeRecord(templateFor(f), f)
  const tail = r.subarray(r.length - (4 + 4 + 5 + 12 + 1))
  eq(tail, `00001092 000003e8 04 6375726c 0b 2f757365722e736c696365 00`)
})

enc('ipfix :: variable length: one length octet below 255, else 255 and two octets (RFC 7011 section 7)', () => {
  eq(variableLength(Buffer.from('ab')), '02 6162')
  eq(variableLength(Buffer.alloc(254, 0x61)).subarray(0, 2), 'fe 61')
  const long = variableLength(Buffer.alloc(300, 0x61))
  eq(long.subarray(0, 4), 'ff 012c 61')
  assert.is(long.length, 303)
})

enc('ipfix :: set header: set ID, then the length including the header', () => {
  eq(encodeSet(2, [hex('0100 0001 0008 0004'), hex('0101 0000')]), '0002 0010 0100 0001 0008 0004 0101 0000')
})

enc('ipfix :: IPv6 text forms all give the same 16 octets', () => {
  for (const [text, expected] of [
    ['::1', '00000000000000000000000000000001'],
    ['2001:db8::', '20010db8000000000000000000000000'],
    ['fe80::1:2', 'fe800000000000000000000000010002'],
    ['2001:db8:0:0:1:0:0:1', '20010db8000000000001000000000001'],
    ['::ffff:10.1.2.3', '00000000000000000000ffff0a010203'],
  ]) eq(ipv6Bytes(text), expected)
})

enc('ipfix :: a value out of its element\'s range is an EncodeError, not wrapped bytes', () => {
  assert.throws(() => encodeValue(IE.sourceTransportPort, 65536), (e: Error) => e instanceof EncodeError && /sourceTransportPort takes an integer from 0 to 65535, got 65536/.test(e.message))
  assert.throws(() => encodeValue(IE.protocolIdentifier, -1), (e: Error) => e instanceof EncodeError)
  assert.throws(() => encodeValue(IE.sourceIPv4Address, '::1'), (e: Error) => e instanceof EncodeError)
  assert.throws(() => encodeValue(IE.sourceIPv6Address, '10.0.0.1'), (e: Error) => e instanceof EncodeError)
  eq(encodeValue(IE.packetDeltaCount, Number.MAX_SAFE_INTEGER), '001fffffffffffff')
  // a reduced-size element holds what its octets hold
  eq(encodeValue(IE.tcpControlBits, 0xff), 'ff')
  assert.throws(() => encodeValue(IE.tcpControlBits, 0x100), (e: Error) => e instanceof EncodeError && /tcpControlBits takes an integer from 0 to 255, got 256/.test(e.message))
})

enc.run()
