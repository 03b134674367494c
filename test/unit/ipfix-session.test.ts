// An IPFIX session's rules (RFC 7011): the sequence number counts data records
// sent before each message, templates go first and again by time or by message
// count (UDP), a TCP reconnection starts a new session, and records are packed
// into messages no larger than asked, one set per template.
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {END_REASON} from '../../src/export/ipfix/elements.js'
import {IpfixSession, type Encoded, type SessionOptions} from '../../src/export/ipfix/session.js'
import type {ExportFlow, Reliability} from '../../src/export/ipfix/templates.js'

const ses = suite('ipfix-session')

/** Reads what the test needs back from a message: header fields and each set's ID and length. */
function read(m: Encoded) {
  const b = m.bytes
  const sets: {id: number; length: number}[] = []
  for (let at = 16; at < b.length;) {
    sets.push({id: b.readUInt16BE(at), length: b.readUInt16BE(at + 2)})
    at += b.readUInt16BE(at + 2)
  }
  return {version: b.readUInt16BE(0), length: b.readUInt16BE(2), exportTime: b.readUInt32BE(4), sequence: b.readUInt32BE(8), domain: b.readUInt32BE(12), sets, bytes: b.length}
}

const V4_RECORD = 52 // addresses 8, ports 4, protocol 1, tcpControlBits 1, interface 4, direction 1, counts 16, times 16, reason 1
const V6_RECORD = 76
const flow = (i: number, family: 4 | 6 = 4): ExportFlow => ({
  family, dir: 'in', ifindex: 1, proto: 17, ethertype: 0, src: family === 4 ? '10.0.0.1' : '2001:db8::1', dst: family === 4 ? '10.0.0.2' : '2001:db8::2', sport: 1000 + i, dport: 53,
  packets: i + 1, bytes: 100 * (i + 1), tcpFlags: 0, startMs: 1000, endMs: 2000, reason: END_REASON.idleTimeout,
})
const session = (o: Partial<SessionOptions> = {}) => new IpfixSession({observationDomainId: 9, maxMessageLength: 1400, refreshMs: 0, refreshMessages: 0, ...o})

ses('session :: the first message holds the templates (set 2) and the options template (set 3), sequence 0', () => {
  const [t] = session().templates(5000).map(read)
  assert.equal([t.version, t.sequence, t.domain, t.exportTime, t.length === t.bytes], [10, 0, 9, 5, true])
  assert.equal(t.sets.map((s) => s.id), [2, 3])
  assert.is(session().templates(5000).length, 1)
})

ses('session :: sequence numbers count data records sent before each message', () => {
  const s = session()
  const first = s.encode([flow(0), flow(1), flow(2)], undefined, 1000).map(read)
  assert.equal(first.map((m) => [m.sequence, m.sets.map((x) => x.id)]), [[0, [2, 3]], [0, [256]]])
  const second = s.encode([flow(3), flow(4, 6)], undefined, 1000).map(read)
  assert.equal(second.map((m) => [m.sequence, m.sets.map((x) => x.id)]), [[3, [256, 260]]])
  assert.equal(second[0].sets.map((x) => x.length), [4 + V4_RECORD, 4 + V6_RECORD])
  assert.is(s.sent, 5)
})

ses('session :: an options record is a data record: it counts in the sequence', () => {
  const s = session()
  const r: Reliability = {domainId: 9, timeMs: 1, ignoredPackets: 0, ignoredOctets: 0, notSentFlows: 0, notSentPackets: 0, notSentOctets: 0, kernelDropped: 0, overflow: 0}
  const [, data] = s.encode([flow(0)], r, 0).map(read)
  assert.equal(data.sets.map((x) => x.id), [256, 268])
  assert.is(s.encode([flow(1)], undefined, 0).map(read)[0].sequence, 2)
})

ses('session :: records are packed into messages no larger than maxMessageLength, one set per template run', () => {
  const s = session({maxMessageLength: 16 + 4 + 3 * V4_RECORD})
  s.templates(0)
  const messages = s.encode(Array.from({length: 10}, (_, i) => flow(i)), undefined, 0)
  const read10 = messages.map(read)
  assert.equal(read10.map((m) => m.sets.map((x) => (x.length - 4) / V4_RECORD)), [[3], [3], [3], [1]])
  assert.equal(read10.map((m) => m.sequence), [0, 3, 6, 9])
  assert.ok(read10.every((m) => m.bytes <= 16 + 4 + 3 * V4_RECORD))
  assert.equal(messages.map((m) => [m.records, m.flows, m.packets]), [[3, 3, 6], [3, 3, 15], [3, 3, 24], [1, 1, 10]])
})

ses('session :: a record larger than the message size still goes, alone', () => {
  const s = session({maxMessageLength: 40})
  s.templates(0)
  const m = s.encode([flow(0), flow(1)], undefined, 0).map(read)
  assert.equal(m.map((x) => x.sets.length), [1, 1])
})

ses('session :: UDP template refresh by time: again once refreshMs has passed, not before', () => {
  const s = session({refreshMs: 600_000})
  assert.is(s.templates(0).length, 1)
  assert.is(s.templates(599_999).length, 0)
  assert.equal(s.encode([flow(0)], undefined, 599_999).map((m) => read(m).sets[0].id), [256])
  assert.equal(s.encode([flow(1)], undefined, 600_000).map((m) => read(m).sets[0].id), [2, 256])
})

ses('session :: UDP template refresh by messages: before every Nth data message', () => {
  const s = session({refreshMessages: 2})
  const ids = [0, 1, 2, 3, 4].map((i) => s.encode([flow(i)], undefined, 0).map((m) => read(m).sets[0].id))
  assert.equal(ids, [[2, 256], [256], [2, 256], [256], [2, 256]])
})

ses('session :: no refresh configured (TCP): templates once, and again only after restart, with the sequence from 0', () => {
  const s = session()
  s.encode([flow(0), flow(1)], undefined, 0)
  assert.is(s.templates(10 ** 9).length, 0)
  s.restart()
  const again = s.encode([flow(2)], undefined, 0).map(read)
  assert.equal(again.map((m) => [m.sets[0].id, m.sequence]), [[2, 0], [256, 0]])
})

ses('session :: refreshTemplates (SIGHUP) sends them with the next message', () => {
  const s = session()
  s.templates(0)
  s.refreshTemplates()
  assert.is(s.templates(1).length, 1)
  assert.is(s.templates(2).length, 0)
})

ses.run()
