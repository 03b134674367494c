// A row's key text (keyText) for record after record of the same few keys: found by
// the numbers of its fields instead of built again. Building and hashing a new string
// a packet was a sixth of `summary -r`; the text found is one string, whose hash the
// aggregator's Map has already computed. Bounded: it starts over when full.
import type {Keyed} from './aggregate.js'

// each field a key may read (Keyed's) has a bit: literals, so the checks in text() cost nothing
const enum Bit { family = 1, proto = 2, src = 4, dst = 8, sport = 16, dport = 32, ifname = 64, pid = 128, comm = 256, uid = 512, cgroup = 1024, container = 2048, runtime = 4096 }
const BITS: Record<keyof Keyed, Bit> = {
  family: Bit.family, proto: Bit.proto, src: Bit.src, dst: Bit.dst, sport: Bit.sport, dport: Bit.dport, ifname: Bit.ifname,
  pid: Bit.pid, comm: Bit.comm, uid: Bit.uid, cgroup: Bit.cgroup, container: Bit.container, runtime: Bit.runtime,
}

/** Most distinct key tuples (and field strings) kept before starting over: the keys of many packets in a row, a few MB at most. */
export const KEY_TEXTS_MAX = 8192

interface Entry {
  parts: number[]
  text: string
  /** Another tuple with the same hash. */
  next: Entry | undefined
}

// a field's number: itself for a count or port (0 or more), else a negative id
const NULL = -1
const ABSENT = -2
const FIRST_STRING = -3

export class KeyTexts {
  private readonly use: number
  private readonly count: number
  private readonly ids = new Map<string, number>()
  private readonly entries = new Map<number, Entry>()
  private readonly parts: Float64Array
  private n = 0
  private hash = 0
  // a value with no number (a negative or fractional one): this record's text is built, not kept
  private odd = false

  /** reads: the fields `make` reads (KEY_READS of a --by); make: the key text of a record. */
  constructor(reads: readonly string[], private readonly make: (r: Keyed) => string, private readonly max = KEY_TEXTS_MAX) {
    let use = 0
    for (const name of reads) {
      if (!Object.hasOwn(BITS, name)) throw new Error(`key-texts: ${name} is not a key field`)
      use |= BITS[name as keyof Keyed]
    }
    this.use = use
    this.count = new Set(reads).size
    this.parts = new Float64Array(this.count)
  }

  /** make(r), the same string as the last time a record had the same key fields. */
  text(r: Keyed): string {
    this.n = 0
    this.hash = 0
    this.odd = false
    const u = this.use
    // named reads: a record's fields are read as fast as its shape allows
    if (u & Bit.family) this.put(r.family)
    if (u & Bit.proto) this.put(r.proto)
    if (u & Bit.src) this.put(r.src)
    if (u & Bit.dst) this.put(r.dst)
    if (u & Bit.sport) this.put(r.sport)
    if (u & Bit.dport) this.put(r.dport)
    if (u & Bit.ifname) this.put(r.ifname)
    if (u & Bit.pid) this.put(r.pid)
    if (u & Bit.comm) this.put(r.comm)
    if (u & Bit.uid) this.put(r.uid)
    if (u & Bit.cgroup) this.put(r.cgroup)
    if (u & Bit.container) this.put(r.container)
    if (u & Bit.runtime) this.put(r.runtime)
    if (this.odd) return this.make(r)
    const parts = this.parts
    const first = this.entries.get(this.hash)
    for (let e = first; e !== undefined; e = e.next) {
      let i = 0
      while (i < this.count && e.parts[i] === parts[i]) i++
      if (i === this.count) return e.text
    }
    const text = this.make(r)
    if (this.entries.size >= this.max || this.ids.size >= this.max) {
      // start over: the ids of the old strings go too, so no old tuple can match a new one
      this.entries.clear()
      this.ids.clear()
      return text
    }
    this.entries.set(this.hash, {parts: Array.from(parts), text, next: first}) // an array of doubles: smaller than a typed array
    return text
  }

  private put(v: string | number | null | undefined): void {
    let id: number
    if (typeof v === 'number') {
      if (!(v >= 0 && Number.isInteger(v))) this.odd = true
      id = v
    } else if (v === null) id = NULL
    else if (v === undefined) id = ABSENT
    else {
      let known = this.ids.get(v)
      if (known === undefined) this.ids.set(v, (known = FIRST_STRING - this.ids.size))
      id = known
    }
    this.parts[this.n++] = id
    this.hash = Math.imul(this.hash ^ (id | 0) ^ ((id / 4294967296) | 0), 0x01000193)
  }
}
