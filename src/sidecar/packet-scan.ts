// Packet lines read from bytes, for -r at a million records a second: one pass over
// the line checks its JSON shape and each field's name and JSON type, then each
// field's rules (FIELD_RULES: a string value seen on a recent line is not decoded or
// checked again), and only the fields the command asked for are put in the record.
// Anything unusual (another record type, an escape, a non-ASCII byte, whitespace, an
// exponent, a field twice, a rule broken) is not decided here: the caller hands the
// line to parseRecord, whose verdict and sentence stand. So a line this accepts,
// parseRecord accepts too, with the same values in the fields asked for.
import {FIELD_RULES, PACKET_PREFIX, RECORD_FIELDS, ruleProblem, SCHEMA_VERSION} from './records.js'
import type {FieldRule, FieldType, PacketRecord} from './records.js'

const enum Kind { Str, Int, Num, Null, True, False }

const QUOTE = 0x22
const COLON = 0x3a
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

interface Field {
  name: string
  type: FieldType
  bytes: Uint8Array
  kinds: number
  required: boolean
  rule: FieldRule | undefined
  /** A number's bounds (from the rule, else unbounded) and allowed values. */
  min: number
  max: number
  enum: readonly unknown[] | undefined
}

const PREFIX = Buffer.from(PACKET_PREFIX, 'latin1')
// v and type are in the prefix; a second one later is parseRecord's to judge
const FIELDS: Field[] = (['required', 'optional'] as const).flatMap((which) =>
  Object.entries(RECORD_FIELDS.packet[which])
    .filter(([name]) => name !== 'v' && name !== 'type')
    .map(([name, type]): Field => {
      const rule = FIELD_RULES[name]
      return {
        name, type, bytes: Buffer.from(name, 'latin1'), kinds: kindsOf(type), required: which === 'required', rule,
        min: rule?.minimum ?? Number.NEGATIVE_INFINITY, max: rule?.maximum ?? Number.POSITIVE_INFINITY, enum: rule?.enum,
      }
    }),
)
const REQUIRED = FIELDS.filter((f) => f.required).length
const FAMILY = FIELDS.findIndex((f) => f.name === 'family')
if (!FIELDS[FAMILY]?.required) throw new Error('packet-scan: the address rules need a required family')

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
  // per field: the line it was last seen on (a name twice is parseRecord's to judge)
  private readonly seenAt = new Float64Array(FIELDS.length).fill(-1)
  private lines = 0
  // per field (and the prefix, last): the field that followed it on the last line
  private readonly next = new Int16Array(FIELDS.length + 1).fill(-1)
  // per field: recent strings decoded and checked: a value seen again is not decoded again
  private readonly memos: StringMemo[] = FIELDS.map(() => new StringMemo())

  constructor(fields: readonly string[]) {
    const names = new Set(fields)
    for (const n of names) if (!FIELDS.some((f) => f.name === n)) throw new Error(`packet-scan: ${n} is not a packet field`)
    this.wanted = Uint8Array.from(FIELDS, (f) => (names.has(f.name) ? 1 : 0))
    this.template = {v: SCHEMA_VERSION, type: 'packet', ...Object.fromEntries(FIELDS.filter((f) => names.has(f.name)).map((f) => [f.name, undefined]))}
  }

  /** The packet on bytes [start, end) (no newline), with the wanted fields; undefined: ask parseRecord. */
  scan(b: Uint8Array, start: number, end: number): PacketRecord | undefined {
    const plen = PREFIX.length
    if (end - start < plen + 2 || b[end - 1] !== CLOSE) return undefined
    for (let i = 0; i < plen; i++) if (b[start + i] !== PREFIX[i]) return undefined
    const line = ++this.lines
    // every wanted field in place (undefined when the line has none): one shape for all records
    const record: Record<string, unknown> = {...this.template}
    // the address rules read the family: the sidecar writes it before any address
    let family: number | undefined
    let required = 0
    let previous = FIELDS.length // the prefix
    let p = start + plen
    const last = end - 1
    for (;;) {
      // "name":
      if (b[p] !== QUOTE) return undefined
      const ks = ++p
      // the sidecar writes its fields in one order: the field after the previous one, most likely
      let index = this.next[previous]
      if (index < 0 || !nameAt(b, ks, FIELDS[index].bytes)) {
        while (p < last && b[p] !== QUOTE) p++
        index = BY_HASH.get(hashOf(b, ks, p)) ?? -1
        if (index < 0 || !nameAt(b, ks, FIELDS[index].bytes)) return undefined
        this.next[previous] = index
      }
      const f = FIELDS[index]
      previous = index
      if (this.seenAt[index] === line) return undefined
      this.seenAt[index] = line
      if (f.required) required++
      p = ks + f.bytes.length + 2
      // the value: read, typed and held to its rule as it is scanned
      const vs = p
      let value: unknown
      const c = b[p]
      if (c === QUOTE) {
        if (!(f.kinds & (1 << Kind.Str))) return undefined
        let h = 0
        let ch = b[++p]
        while (ch !== QUOTE) {
          if (ch < 0x20 || ch >= 0x80 || ch === BACKSLASH || p >= last) return undefined
          h = (Math.imul(h, 31) + ch) | 0
          ch = b[++p]
        }
        p++
        const context = f.rule?.address ? family : 0 // only an address's verdict depends on the family
        if (context === undefined) return undefined
        const memo = this.memos[index]
        value = memo.find(h, b, vs, p, context)
        if (value === undefined) {
          const text = latin1(b, vs + 1, p - 1)
          if (f.rule && ruleProblem(text, f.type, f.rule, family) !== undefined) return undefined
          memo.add(h, b, vs, p, context, text)
          value = text
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
        if (n > Number.MAX_SAFE_INTEGER) n = Number(latin1(b, vs, p))
        else {
          if (scale !== 1) n /= scale
          if (negative) n = -n
        }
        if (!Number.isFinite(n) || !(n >= f.min && n <= f.max) || (f.enum !== undefined && !f.enum.includes(n))) return undefined
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
      if (this.wanted[index]) record[f.name] = value
      if (p === last) break
      if (b[p] !== COMMA) return undefined
      p++
    }
    if (required !== REQUIRED) return undefined
    return record as unknown as PacketRecord
  }
}

/** Whether the field name `name` and its closing quote and colon start at b[at]. */
function nameAt(b: Uint8Array, at: number, name: Uint8Array): boolean {
  const n = name.length
  for (let i = 0; i < n; i++) if (b[at + i] !== name[i]) return false
  return b[at + n] === QUOTE && b[at + n + 1] === COLON
}

const MEMO_SIZE = 4096

interface Memo {
  bytes: Uint8Array
  value: string
  context: unknown
}

/** A field's recent string values (checked under a context: the family, for an address), by a hash of their bytes. */
class StringMemo {
  private readonly entries = new Map<number, Memo>()
  private last: Memo | undefined
  private lastHash = 0

  /** The string at b[start, end) (quotes included), whose characters hash to h. */
  find(h: number, b: Uint8Array, start: number, end: number, context: unknown): string | undefined {
    // most often the value of the line before
    const m = h === this.lastHash && this.last !== undefined ? this.last : this.entries.get(h)
    if (m === undefined || m.context !== context || m.bytes.length !== end - start) return undefined
    for (let i = 0; i < m.bytes.length; i++) if (b[start + i] !== m.bytes[i]) return undefined
    this.last = m
    this.lastHash = h
    return m.value
  }

  add(h: number, b: Uint8Array, start: number, end: number, context: unknown, value: string): void {
    // bounded: a file of endless distinct values starts over
    if (this.entries.size >= MEMO_SIZE) this.entries.clear()
    this.entries.set(h, {bytes: Uint8Array.prototype.slice.call(b, start, end), value, context}) // a copy: a view would hold the chunk
  }
}

// Buffer's own latin1Slice (what toString('latin1') calls, without its checks); the bytes are ASCII here
const latin1 = (b: Uint8Array, start: number, end: number): string => (b as Buffer & {latin1Slice(start: number, end: number): string}).latin1Slice(start, end)
