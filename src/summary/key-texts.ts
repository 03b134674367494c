// A row's key text (keyText) for record after record of the same few keys: found by
// the numbers of its fields instead of built again. Building and hashing a new string
// a packet was a sixth of `summary -r`; the text found is one string, whose hash the
// aggregator's Map has already computed. Bounded: it starts over when full.
import type {Keyed} from './aggregate.js'

/** The fields a key may read (Keyed's), in the order they are mixed. */
const FIELDS = ['family', 'proto', 'src', 'dst', 'sport', 'dport', 'ifname', 'pid', 'comm', 'uid', 'cgroup', 'container', 'runtime'] as const satisfies readonly (keyof Keyed)[]
const bit = (name: (typeof FIELDS)[number]) => 1 << FIELDS.indexOf(name)

/** Most distinct key tuples (and field strings) kept before starting over. */
export const KEY_TEXTS_MAX = 1 << 16

interface Entry {
  parts: Float64Array
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
      const i = (FIELDS as readonly string[]).indexOf(name)
      if (i < 0) throw new Error(`key-texts: ${name} is not a key field`)
      use |= 1 << i
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
    if (u & bit('family')) this.put(r.family)
    if (u & bit('proto')) this.put(r.proto)
    if (u & bit('src')) this.put(r.src)
    if (u & bit('dst')) this.put(r.dst)
    if (u & bit('sport')) this.put(r.sport)
    if (u & bit('dport')) this.put(r.dport)
    if (u & bit('ifname')) this.put(r.ifname)
    if (u & bit('pid')) this.put(r.pid)
    if (u & bit('comm')) this.put(r.comm)
    if (u & bit('uid')) this.put(r.uid)
    if (u & bit('cgroup')) this.put(r.cgroup)
    if (u & bit('container')) this.put(r.container)
    if (u & bit('runtime')) this.put(r.runtime)
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
    this.entries.set(this.hash, {parts: parts.slice(), text, next: first})
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
