// Packet lines read from bytes, for -r at a million records a second: one pass over
// the line checks its JSON shape and each field's name and JSON type, then each
// field's rules (FIELD_RULES: a string value seen on a recent line is not decoded or
// checked again), and only the fields the command asked for are put in the record.
// Anything unusual (another record type, an escape, a non-ASCII byte, whitespace, an
// exponent, a field twice, a rule broken) is not decided here: the caller hands the
// line to parseRecord, whose verdict and sentence stand. So a line this accepts,
// parseRecord accepts too, with the same values in the fields asked for. A line like the
// last one accepted but for its ts (a flood of one flow) is not scanned again: only the ts
// is read (sameButTs).
import {FIELD_RULES, PACKET_PREFIX, RECORD_FIELDS, ruleProblem, SCHEMA_VERSION} from './records.js'
import type {FieldRule, FieldType, PacketRecord} from './records.js'

const enum Kind { Str, Int, Num, Null, True, False }

const QUOTE = 0x22
const COMMA = 0x2c
const CLOSE = 0x7d
const BACKSLASH = 0x5c
const MINUS = 0x2d
const DOT = 0x2e
const ZERO = 0x30
const NINE = 0x39

/** The value kinds a JSON type admits here; anything else is parseRecord's to judge. */
function kindsOf(type: FieldType): number {
  const bit = (k: Kind) => 1 << k
  switch (type) {
    case 'string': return bit(Kind.Str)
    case 'number': return bit(Kind.Int) | bit(Kind.Num)
    case 'integer': return bit(Kind.Int)
    case 'boolean': return bit(Kind.True) | bit(Kind.False)
    case 'array': return 0
    case 'string|integer': return bit(Kind.Str) | bit(Kind.Int)
    case 'integer|null': return bit(Kind.Null) | bit(Kind.Int)
    case 'string|null': return bit(Kind.Null) | bit(Kind.Str)
  }
}

type PacketField = Exclude<keyof PacketRecord, 'v' | 'type'>
type Writable = {-readonly [K in PacketField]?: unknown}

// One writer a field: a store of a named property is fast where a store by a computed
// name is not (a tenth of the scan). The type makes the list the contract's, exactly.
const WRITE: {[K in PacketField]-?: (r: Writable, v: unknown) => void} = {
  ts: (r, v) => { r.ts = v }, ifindex: (r, v) => { r.ifindex = v }, ifname: (r, v) => { r.ifname = v }, dir: (r, v) => { r.dir = v },
  family: (r, v) => { r.family = v }, proto: (r, v) => { r.proto = v }, len: (r, v) => { r.len = v }, src: (r, v) => { r.src = v },
  dst: (r, v) => { r.dst = v }, sport: (r, v) => { r.sport = v }, dport: (r, v) => { r.dport = v }, flags: (r, v) => { r.flags = v },
  icmp_type: (r, v) => { r.icmp_type = v }, icmp_code: (r, v) => { r.icmp_code = v }, frag: (r, v) => { r.frag = v }, vlan: (r, v) => { r.vlan = v },
  truncated: (r, v) => { r.truncated = v }, ethertype: (r, v) => { r.ethertype = v }, paylen: (r, v) => { r.paylen = v },
  malformed: (r, v) => { r.malformed = v }, unwalked: (r, v) => { r.unwalked = v }, llc_dsap: (r, v) => { r.llc_dsap = v },
  llc_ssap: (r, v) => { r.llc_ssap = v }, smac: (r, v) => { r.smac = v }, dmac: (r, v) => { r.dmac = v }, arp_op: (r, v) => { r.arp_op = v },
  arp_sha: (r, v) => { r.arp_sha = v }, arp_spa: (r, v) => { r.arp_spa = v }, arp_tpa: (r, v) => { r.arp_tpa = v },
  inner_dst: (r, v) => { r.inner_dst = v }, inner_proto: (r, v) => { r.inner_proto = v }, inner_dport: (r, v) => { r.inner_dport = v },
  nd_target: (r, v) => { r.nd_target = v }, data: (r, v) => { r.data = v }, pid: (r, v) => { r.pid = v }, comm: (r, v) => { r.comm = v },
  uid: (r, v) => { r.uid = v }, cgroup: (r, v) => { r.cgroup = v }, container: (r, v) => { r.container = v }, runtime: (r, v) => { r.runtime = v },
  peer_pid: (r, v) => { r.peer_pid = v }, peer_comm: (r, v) => { r.peer_comm = v },
}

interface Field {
  name: PacketField
  type: FieldType
  bytes: Uint8Array
  kinds: number
  required: boolean
  rule: FieldRule | undefined
  /** A number's bounds (from the rule, else unbounded) and allowed values. */
  min: number
  max: number
  enum: readonly unknown[] | undefined
  /** A string's text matters to its rule (an enum, a pattern, an address): checked once per text, in the memo. */
  textRule: boolean
  /** A string's shortest length (its only rule when textRule is false). */
  minLength: number
  write: (r: Writable, v: unknown) => void
  /** `,"name":` as it appears after the value before it, for keyAt. */
  key: Key
}

/** Bytes compared four at a time: whole little-endian words, then the last 1-3 bytes under a mask. */
interface Key {
  bytes: Uint8Array
  length: number
  words: Int32Array
  /** words.length (a typed array's length is a getter: slower in the loop) */
  count: number
  tail: number
  tailMask: number
  /** The bytes a word-wise compare reads: the key's length rounded up to a word. */
  span: number
}

function keyOf(bytes: Uint8Array): Key {
  const whole = bytes.length >> 2
  const word = (at: number, n: number) => {
    let w = 0
    for (let i = n - 1; i >= 0; i--) w = (w << 8) | bytes[at + i]
    return w | 0
  }
  const rest = bytes.length & 3
  return {
    bytes, length: bytes.length, words: Int32Array.from({length: whole}, (_, j) => word(4 * j, 4)), count: whole,
    tail: rest ? word(4 * whole, rest) : 0, tailMask: rest ? (1 << (8 * rest)) - 1 : 0, span: (whole + (rest ? 1 : 0)) * 4,
  }
}

/** Whether `key` is at b[at] (view: b's DataView, size: b's length). */
function keyAt(b: Uint8Array, view: DataView, size: number, at: number, key: Key): boolean {
  // a word read past the buffer would throw: compare the bytes there
  if (at + key.span > size) {
    const k = key.bytes
    for (let i = 0; i < key.length; i++) if (b[at + i] !== k[i]) return false
    return true
  }
  const w = key.words
  const n = key.count
  let i = 0
  for (; i < n; i++) if (view.getInt32(at + 4 * i, true) !== w[i]) return false
  return key.tailMask === 0 || (view.getInt32(at + 4 * i, true) & key.tailMask) === key.tail
}

// the prefix without its comma: each field's key starts with one
if (!PACKET_PREFIX.endsWith(',')) throw new Error('packet-scan: the packet prefix ends with a comma')
const PREFIX = keyOf(Buffer.from(PACKET_PREFIX.slice(0, -1), 'latin1'))
// v and type are in the prefix; a second one later is parseRecord's to judge
const FIELDS: Field[] = (['required', 'optional'] as const).flatMap((which) =>
  Object.entries(RECORD_FIELDS.packet[which])
    .filter(([name]) => name !== 'v' && name !== 'type')
    .map(([name, type]): Field => {
      const rule = FIELD_RULES[name]
      return {
        name: name as PacketField, type, bytes: Buffer.from(name, 'latin1'), kinds: kindsOf(type), required: which === 'required', rule,
        min: rule?.minimum ?? Number.NEGATIVE_INFINITY, max: rule?.maximum ?? Number.POSITIVE_INFINITY, enum: rule?.enum,
        textRule: rule !== undefined && (rule.enum !== undefined || rule.pattern !== undefined || rule.address === true),
        minLength: rule?.minLength ?? 0, write: WRITE[name as PacketField], key: keyOf(Buffer.from(`,"${name}":`, 'latin1')),
      }
    }),
)
// the fields a line has are bits in two words; the required ones come first, all in the first
if (FIELDS.length > 64) throw new Error('packet-scan: more than 64 packet fields')
const REQUIRED = FIELDS.filter((f) => f.required).length
if (FIELDS.findIndex((f) => !f.required) !== REQUIRED || REQUIRED > 31) throw new Error('packet-scan: the required fields come first, at most 31')
const REQUIRED_BITS = (1 << REQUIRED) - 1
const FAMILY = FIELDS.findIndex((f) => f.name === 'family')
if (!FIELDS[FAMILY]?.required) throw new Error('packet-scan: the address rules need a required family')
const TS = FIELDS.findIndex((f) => f.name === 'ts')
if (!FIELDS[TS]?.required || FIELDS[TS].textRule || FIELDS[TS].enum) throw new Error('packet-scan: ts is a required number with bounds only')
// a rule on a string that the scan does not know (a new keyword) would go unchecked: make it a textRule
for (const f of FIELDS) {
  const known = new Set(['minimum', 'maximum', 'enum', 'minLength', 'pattern', 'address'])
  for (const k of Object.keys(f.rule ?? {})) if (!known.has(k)) throw new Error(`packet-scan: ${f.name}'s rule ${k} is not checked here`)
}

const hashOf = (bytes: Uint8Array, start: number, end: number) => {
  let h = end - start
  for (let i = start; i < end; i++) h = (Math.imul(h, 31) + bytes[i]) | 0
  return h
}
const BY_HASH = new Map<number, number>()
for (const [i, f] of FIELDS.entries()) {
  const h = hashOf(f.bytes, 0, f.bytes.length)
  // two names with one hash would need a second look; the contract has none (a unit test builds this)
  if (BY_HASH.has(h)) throw new Error(`packet-scan: fields ${FIELDS[BY_HASH.get(h)!].name} and ${f.name} share a hash`)
  BY_HASH.set(h, i)
}

/** Reads packet lines, decoding only `fields` (each one a packet record field). */
export class PacketScanner {
  private readonly wanted: Uint8Array
  private readonly template: Record<string, unknown>
  // no field wanted: every accepted line is the same record, not made again
  private readonly bare: boolean
  // the DataView of the last buffer scanned (lines come a chunk at a time)
  private view: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0))
  private viewOf: Uint8Array | undefined
  // per field (and the prefix, last): the field that followed it on the last line
  private readonly next = new Int16Array(FIELDS.length + 1).fill(-1)
  // per field: recent strings decoded and checked: a value seen again is not decoded again
  private readonly memos: StringMemo[] = FIELDS.map(() => new StringMemo())
  // the last line accepted whose first field was ts: where its bytes after the ts are, and its record
  private rest: Uint8Array = new Uint8Array(0)
  private restView = new DataView(this.rest.buffer)
  private restStart = 0
  private restLength = -1
  private restRecord: Writable | undefined
  // sameButTs's misses in a row, and the lines to scan before it tries again: a file of
  // varied lines pays for a try now and then, a flood's lines for every one
  private misses = 0
  private skip = 0

  constructor(fields: readonly string[]) {
    const names = new Set(fields)
    for (const n of names) if (!FIELDS.some((f) => f.name === n)) throw new Error(`packet-scan: ${n} is not a packet field`)
    this.wanted = Uint8Array.from(FIELDS, (f) => (names.has(f.name) ? 1 : 0))
    this.template = {v: SCHEMA_VERSION, type: 'packet', ...Object.fromEntries(FIELDS.filter((f) => names.has(f.name)).map((f) => [f.name, undefined]))}
    this.bare = names.size === 0
    if (this.bare) Object.freeze(this.template)
  }

  /** The packet on bytes [start, end) (no newline), with the wanted fields; undefined: ask parseRecord.
   * Lines scanned before must keep their bytes (a stream's chunks do): sameButTs reads the
   * last one read in full again. */
  scan(b: Uint8Array, start: number, end: number): PacketRecord | undefined {
    if (b !== this.viewOf) {
      this.view = new DataView(b.buffer, b.byteOffset, b.byteLength)
      this.viewOf = b
    }
    const view = this.view
    const size = b.length
    if (end - start < PREFIX.length + 3 || b[end - 1] !== CLOSE || !keyAt(b, view, size, start, PREFIX)) return undefined
    if (this.skip > 0) this.skip--
    else if (this.restLength >= 0) {
      const again = this.sameButTs(b, view, size, start + PREFIX.length, end)
      if (again !== undefined) {
        this.misses = 0
        return again
      }
      this.skip = this.misses < 255 ? ++this.misses : 255
    }
    // where the ts's value ends when it is the first field (for sameButTs)
    let tsEnd = -1
    // every wanted field in place (undefined when the line has none): one shape for all records
    const record: Writable = this.bare ? this.template : {...this.template}
    // the address rules read the family: the sidecar writes it before any address
    let family: number | undefined
    // the fields seen on this line (a name twice is parseRecord's to judge)
    let low = 0
    let high = 0
    let previous = FIELDS.length // the prefix
    let p = start + PREFIX.length
    const last = end - 1
    for (;;) {
      // ,"name": where the sidecar writes its fields in one order: the field after the previous one, most likely
      let index = this.next[previous]
      if (index < 0 || !keyAt(b, view, size, p, FIELDS[index].key)) {
        if (b[p] !== COMMA || b[p + 1] !== QUOTE) return undefined
        let q = p + 2
        while (q < last && b[q] !== QUOTE) q++
        index = BY_HASH.get(hashOf(b, p + 2, q)) ?? -1
        if (index < 0 || !keyAt(b, view, size, p, FIELDS[index].key)) return undefined
        this.next[previous] = index
      }
      const f = FIELDS[index]
      previous = index
      if (index < 32) {
        if (low & (1 << index)) return undefined
        low |= 1 << index
      } else {
        if (high & (1 << (index - 32))) return undefined
        high |= 1 << (index - 32)
      }
      p += f.key.length
      // the value: read, typed and held to its rule as it is scanned
      const vs = p
      let value: unknown
      const c = b[p]
      if (c === QUOTE) {
        if (!(f.kinds & (1 << Kind.Str))) return undefined
        const context = f.rule?.address ? family : 0 // only an address's verdict depends on the family
        if (context === undefined) return undefined
        const memo = this.memos[index]
        // most often the field's value on the line before: compared a word at a time, not scanned
        const again = memo.last
        if (again !== undefined && again.context === context && keyAt(b, view, size, vs, again.key)) {
          p = vs + again.key.length
          value = again.value
        } else {
          let h = 0
          let ch = b[++p]
          while (ch !== QUOTE) {
            // a byte past the buffer is undefined, and stops it as a control character would
            if (!(ch >= 0x20 && ch < 0x80) || ch === BACKSLASH) return undefined
            h = (Math.imul(h, 31) + ch) | 0
            ch = b[++p]
          }
          if (p >= last) return undefined
          p++
          value = memo.find(h, b, vs, p, context)
          if (value === undefined) {
            if (!f.textRule && this.wanted[index] === 0 && p - vs > MEMO_LONGEST) {
              // a long text only its length matters for (a payload's hex): not kept
              if (p - vs - 2 < f.minLength) return undefined
            } else {
              const text = latin1(b, vs + 1, p - 1)
              if (f.rule && ruleProblem(text, f.type, f.rule, family) !== undefined) return undefined
              memo.add(h, b, vs, p, context, text)
              value = text
            }
          }
        }
      } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
        const negative = c === MINUS
        if (negative) p++
        let n = 0
        if (b[p] === ZERO) p++
        else if (b[p] > ZERO && b[p] <= NINE) {
          for (let d = b[p]; d >= ZERO && d <= NINE; d = b[++p]) n = n * 10 + (d - ZERO)
        } else return undefined
        let scale = 1
        if (b[p] === DOT) {
          if (!(f.kinds & (1 << Kind.Num))) return undefined // an integer field: parseRecord judges 5.0
          p++
          if (!(b[p] >= ZERO && b[p] <= NINE)) return undefined
          for (let d = b[p]; d >= ZERO && d <= NINE; d = b[++p]) {
            n = n * 10 + (d - ZERO)
            scale *= 10
          }
        } else if (!(f.kinds & (1 << Kind.Int))) return undefined
        // exponents are not the sidecar's: parseRecord judges them. Below 2^53 the digits and
        // the scale are exact doubles, so n / scale is the correctly rounded value JSON.parse gives
        if (n > Number.MAX_SAFE_INTEGER) {
          n = Number(latin1(b, vs, p))
          if (!Number.isFinite(n)) return undefined
        } else {
          if (scale !== 1) n /= scale
          if (negative) n = -n
        }
        if (!(n >= f.min && n <= f.max) || (f.enum !== undefined && !f.enum.includes(n))) return undefined
        if (index === FAMILY) family = n
        value = n
      } else {
        if (c === 0x6e && b[p + 1] === 0x75 && b[p + 2] === 0x6c && b[p + 3] === 0x6c) {
          p += 4
          value = null
          if (!(f.kinds & (1 << Kind.Null))) return undefined
        } else if (c === 0x74 && b[p + 1] === 0x72 && b[p + 2] === 0x75 && b[p + 3] === 0x65) {
          p += 4
          value = true
          if (!(f.kinds & (1 << Kind.True))) return undefined
        } else if (c === 0x66 && b[p + 1] === 0x61 && b[p + 2] === 0x6c && b[p + 3] === 0x73 && b[p + 4] === 0x65) {
          p += 5
          value = false
          if (!(f.kinds & (1 << Kind.False))) return undefined
        } else return undefined
        if (f.enum !== undefined && !f.enum.includes(value)) return undefined
      }
      if (this.wanted[index] !== 0) f.write(record, value)
      if (index === TS && vs === start + PREFIX.length + f.key.length) tsEnd = p
      if (p === last) break
    }
    if ((low & REQUIRED_BITS) !== REQUIRED_BITS) return undefined
    if (tsEnd !== -1) this.remember(b, tsEnd, end, record)
    return record as unknown as PacketRecord
  }

  /**
   * A line like the last one accepted but for its ts (a flood of one flow, line after line):
   * its other bytes were read and held to their rules then, so only the ts is read, and the
   * record is that line's with this ts. At p: the line after the prefix. undefined: scan it.
   */
  private sameButTs(b: Uint8Array, view: DataView, size: number, p: number, end: number): PacketRecord | undefined {
    const f = FIELDS[TS]
    if (!keyAt(b, view, size, p, f.key)) return undefined
    p += f.key.length
    // digits, a dot, digits, as the sidecar writes a ts, read as the scan reads a number;
    // anything else (a sign, no fraction, an exponent, a huge one) is the scan's
    let n = 0
    if (b[p] === ZERO) p++
    else if (b[p] > ZERO && b[p] <= NINE) {
      for (let d = b[p]; d >= ZERO && d <= NINE; d = b[++p]) n = n * 10 + (d - ZERO)
    } else return undefined
    if (b[p] !== DOT) return undefined
    p++
    if (!(b[p] >= ZERO && b[p] <= NINE)) return undefined
    let scale = 1
    for (let d = b[p]; d >= ZERO && d <= NINE; d = b[++p]) {
      n = n * 10 + (d - ZERO)
      scale *= 10
    }
    if (n > Number.MAX_SAFE_INTEGER) return undefined
    n /= scale
    if (!(n >= f.min && n <= f.max)) return undefined
    // the rest of the line, compared a word at a time
    const length = this.restLength
    if (end - p !== length) return undefined
    const rest = this.restView
    const from = this.restStart
    let i = 0
    for (; i + 4 <= length; i += 4) if (view.getInt32(p + i, true) !== rest.getInt32(from + i, true)) return undefined
    for (; i < length; i++) if (b[p + i] !== this.rest[from + i]) return undefined
    if (this.bare) return this.template as unknown as PacketRecord
    const record: Writable = {...this.restRecord}
    if (this.wanted[TS] !== 0) record.ts = n
    return record as unknown as PacketRecord
  }

  /** Notes where bytes [from, end) of an accepted line (those after its ts) are, and its record, for sameButTs. */
  private remember(b: Uint8Array, from: number, end: number, record: Writable): void {
    // not a copy (a copy a line costs -r a third of its speed): scan's caller leaves a line's
    // bytes as they are until the next line is scanned, as a stream's chunks are
    this.rest = b
    this.restView = this.view
    this.restStart = from
    this.restLength = end - from
    this.restRecord = record
  }
}

const MEMO_SIZE = 4096
/** The longest string (quotes included) kept when only its length matters. */
const MEMO_LONGEST = 130

interface Memo {
  /** The value's bytes, quotes included. */
  key: Key
  value: string
  context: unknown
}

/** A field's recent string values (checked under a context: the family, for an address), by a hash of their bytes. */
class StringMemo {
  private readonly entries = new Map<number, Memo>()
  /** The value found or added last. */
  last: Memo | undefined

  /** The string at b[start, end) (quotes included), whose characters hash to h. */
  find(h: number, b: Uint8Array, start: number, end: number, context: unknown): string | undefined {
    const m = this.entries.get(h)
    const n = end - start
    if (m === undefined || m.context !== context || m.key.length !== n) return undefined
    const bytes = m.key.bytes
    for (let i = 0; i < n; i++) if (b[start + i] !== bytes[i]) return undefined
    this.last = m
    return m.value
  }

  add(h: number, b: Uint8Array, start: number, end: number, context: unknown, value: string): void {
    // bounded: a file of endless distinct values starts over
    if (this.entries.size >= MEMO_SIZE) this.entries.clear()
    const m = {key: keyOf(Uint8Array.prototype.slice.call(b, start, end)), value, context} // a copy: a view would hold the chunk
    this.entries.set(h, m)
    this.last = m
  }
}

// Buffer's own latin1Slice (what toString('latin1') calls, without its checks); the bytes are ASCII here
const latin1 = (b: Uint8Array, start: number, end: number): string => (b as Buffer & {latin1Slice(start: number, end: number): string}).latin1Slice(start, end)
