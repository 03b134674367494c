// Packet lines read from bytes, for -r at a million records a second: one pass over
// the line checks its JSON shape and each field's name and JSON type, then each
// field's rules (FIELD_RULES: a string value seen on a recent line is not decoded or
// checked again), and only the fields the command asked for are put in the record.
// Anything unusual (another record type, an escape, a non-ASCII byte, whitespace, an
// exponent, a field twice, a rule broken) is not decided here: the caller hands the
// line to parseRecord, whose verdict and sentence stand. So a line this accepts,
// parseRecord accepts too, with the same values in the fields asked for.
import {FIELD_RULES, hasType, PACKET_PREFIX, RECORD_FIELDS, ruleProblem, SCHEMA_VERSION} from './records.js'
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
  // the fields of the line being read, in its order
  private readonly fields = new Int16Array(FIELDS.length)
  // per field: where its value starts and ends in the line, its kind, and the line it was seen on
  private readonly start = new Int32Array(FIELDS.length)
  private readonly end = new Int32Array(FIELDS.length)
  private readonly kind = new Uint8Array(FIELDS.length)
  private readonly seenAt = new Float64Array(FIELDS.length).fill(-1)
  private lines = 0
  // per field (and the prefix, last): the field that followed it on the last line
  private readonly next = new Int16Array(FIELDS.length + 1).fill(-1)
  // per field: the last strings decoded and checked: a value seen again is not decoded again
  private readonly memos: StringMemo[] = FIELDS.map(() => new StringMemo())

  constructor(fields: readonly string[]) {
    const names = new Set(fields)
    for (const n of names) if (!FIELDS.some((f) => f.name === n)) throw new Error(`packet-scan: ${n} is not a packet field`)
    this.wanted = Uint8Array.from(FIELDS, (f) => (names.has(f.name) ? 1 : 0))
  }

  private number(b: Uint8Array, i: number): number {
    return numberAt(b, this.start[i], this.end[i], this.kind[i] as Kind)
  }

  /** The packet on bytes [start, end) (no newline), with the wanted fields; undefined: ask parseRecord. */
  scan(b: Uint8Array, start: number, end: number): PacketRecord | undefined {
    const plen = PREFIX.length
    if (end - start < plen + 2 || b[end - 1] !== CLOSE) return undefined
    for (let i = 0; i < plen; i++) if (b[start + i] !== PREFIX[i]) return undefined
    const line = ++this.lines
    let required = 0
    let previous = FIELDS.length // the prefix
    let count = 0
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
      p = ks + f.bytes.length + 2
      // the value: its kind, and where it ends
      const vs = p
      let kind: Kind
      const c = b[p]
      if (c === QUOTE) {
        p++
        let ch = b[p]
        while (ch !== QUOTE) {
          if (ch < 0x20 || ch >= 0x80 || ch === BACKSLASH || p >= last) return undefined
          ch = b[++p]
        }
        p++
        kind = Kind.Str
      } else if (c === MINUS || (c >= ZERO && c <= NINE)) {
        if (c === MINUS) p++
        if (b[p] === ZERO) p++
        else if (b[p] > ZERO && b[p] <= NINE) while (b[p] >= ZERO && b[p] <= NINE) p++
        else return undefined
        kind = Kind.Int
        if (b[p] === DOT) {
          p++
          if (!(b[p] >= ZERO && b[p] <= NINE)) return undefined
          while (b[p] >= ZERO && b[p] <= NINE) p++
          kind = Kind.Num
        }
        // exponents are not the sidecar's: parseRecord judges them
      } else if (c === 0x6e && b[p + 1] === 0x75 && b[p + 2] === 0x6c && b[p + 3] === 0x6c) {
        p += 4
        kind = Kind.Null
      } else if (c === 0x74 && b[p + 1] === 0x72 && b[p + 2] === 0x75 && b[p + 3] === 0x65) {
        p += 4
        kind = Kind.True
      } else if (c === 0x66 && b[p + 1] === 0x61 && b[p + 2] === 0x6c && b[p + 3] === 0x73 && b[p + 4] === 0x65) {
        p += 5
        kind = Kind.False
      } else {
        return undefined
      }
      if (!(f.kinds & (1 << kind))) return undefined
      if (this.seenAt[index] === line) return undefined // a name twice: JSON.parse keeps the last, parseRecord judges
      this.seenAt[index] = line
      if (f.required) required++
      this.fields[count++] = index
      this.start[index] = vs
      this.end[index] = p
      this.kind[index] = kind
      if (p === last) break
      if (b[p] !== COMMA) return undefined
      p++
    }
    if (required !== REQUIRED) return undefined
    const record: Record<string, unknown> = {v: SCHEMA_VERSION, type: 'packet'}
    // the address rules read the family (required: it is on the line)
    const family = this.number(b, FAMILY)
    for (let k = 0; k < count; k++) {
      const i = this.fields[k]
      const f = FIELDS[i]
      const kind = this.kind[i] as Kind
      let value: unknown
      if (kind === Kind.Int || kind === Kind.Num) {
        const n = i === FAMILY ? family : this.number(b, i)
        if (!(n >= f.min && n <= f.max) || (f.enum && !f.enum.includes(n)) || !hasType(n, f.type)) return undefined
        value = n
      } else if (kind === Kind.Str) {
        const memo = this.memos[i]
        const vs = this.start[i]
        const ve = this.end[i]
        const context = f.rule?.address ? family : 0 // only an address's verdict depends on the family
        const known = memo.find(b, vs, ve, context)
        if (known !== undefined) value = known
        else {
          const text = latin1(b, vs + 1, ve - 1)
          if (f.rule && ruleProblem(text, f.type, f.rule, family) !== undefined) return undefined
          memo.add(b, vs, ve, context, text)
          value = text
        }
      } else {
        value = kind === Kind.Null ? null : kind === Kind.True
        if (f.enum && !f.enum.includes(value)) return undefined
      }
      if (this.wanted[i]) record[f.name] = value
    }
    return record as unknown as PacketRecord
  }
}

/** Field `i`'s number, as JSON.parse reads it. */
function numberAt(b: Uint8Array, start: number, end: number, kind: Kind): number {
  return decode(b, start, end, kind) as number
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

  find(b: Uint8Array, start: number, end: number, context: unknown): string | undefined {
    const m = this.entries.get(hashOf(b, start, end))
    if (m === undefined || m.context !== context || m.bytes.length !== end - start) return undefined
    for (let i = 0; i < m.bytes.length; i++) if (b[start + i] !== m.bytes[i]) return undefined
    return m.value
  }

  add(b: Uint8Array, start: number, end: number, context: unknown, value: string): void {
    // bounded: a file of endless distinct values starts over
    if (this.entries.size >= MEMO_SIZE) this.entries.clear()
    this.entries.set(hashOf(b, start, end), {bytes: Uint8Array.prototype.slice.call(b, start, end), value, context}) // a copy: a view would hold the chunk
  }
}

function decode(b: Uint8Array, start: number, end: number, kind: Kind): unknown {
  switch (kind) {
    case Kind.Str: return latin1(b, start + 1, end - 1)
    case Kind.Int: {
      // up to 15 digits are exact in a double; longer ones as JSON.parse reads them
      if (end - start > 15) return Number(latin1(b, start, end))
      let n = 0
      let i = start
      const negative = b[i] === MINUS
      if (negative) i++
      for (; i < end; i++) n = n * 10 + (b[i] - ZERO)
      return negative ? -n : n
    }
    case Kind.Num: {
      // digits / 10^k, both exact in a double, is the correctly rounded value, as Number() gives
      let n = 0
      let scale = 1
      let fraction = false
      let i = start
      const negative = b[i] === MINUS
      if (negative) i++
      for (; i < end; i++) {
        const c = b[i]
        if (c === DOT) {
          fraction = true
          continue
        }
        n = n * 10 + (c - ZERO)
        if (fraction) scale *= 10
      }
      if (n > Number.MAX_SAFE_INTEGER || scale > 1e22) return Number(latin1(b, start, end))
      return negative ? -n / scale : n / scale
    }
    case Kind.Null: return null
    case Kind.True: return true
    case Kind.False: return false
  }
}

// Buffer's own latin1Slice (what toString('latin1') calls, without its checks); the bytes are ASCII here
const latin1 = (b: Uint8Array, start: number, end: number): string => (b as Buffer & {latin1Slice(start: number, end: number): string}).latin1Slice(start, end)
