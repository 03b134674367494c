// The sidecar's NDJSON records (docs/events.md, docs/events.schema.json) and a
// strict parser for them. test/unit/records-schema.test.ts keeps RECORD_FIELDS
// in step with the schema.

export const SCHEMA_VERSION = 1

export type Direction = 'in' | 'out'

/** What a packet and a flow are keyed by: interface, direction, protocol, endpoints. */
export interface FlowKey {
  ifindex: number
  ifname: string
  dir: Direction
  family: 0 | 4 | 6
  proto: string | number
  src?: string
  dst?: string
  sport?: number
  dport?: number
  ethertype?: number
}

export interface PacketRecord extends FlowKey {
  v: 1
  type: 'packet'
  ts: number
  len: number
  flags?: string
  icmp_type?: number
  icmp_code?: number
  frag?: 'first' | 'later'
  vlan?: number
  truncated?: boolean
}

/** Flows mode: one flow's packets and bytes since the previous batch of flow records. */
export interface FlowRecord extends FlowKey {
  v: 1
  type: 'flow'
  packets: number
  bytes: number
  first: number
  last: number
}

export interface ReadyRecord {
  v: 1
  type: 'ready'
  ts: number
  interfaces: {ifindex: number; name: string}[]
  ring_size: number
}

export interface StatsRecord {
  v: 1
  type: 'stats'
  ts: number
  seen: number
  matched: number
  emitted: number
  dropped: number
  written: number
  final: boolean
  /** Bytes (len) of the matched packets. */
  matched_bytes?: number
  /** Flows mode: flow records written so far. */
  flows?: number
}

export interface ErrorRecord {
  v: 1
  type: 'error'
  code: string
  message: string
  detail?: string
}

/** A captured interface went down, came back up, or was deleted (down: also once after ready, if it starts down). */
export interface LinkRecord {
  v: 1
  type: 'link'
  ts: number
  ifindex: number
  ifname: string
  state: LinkState
}

export const LINK_STATES = ['up', 'down', 'gone'] as const
export type LinkState = (typeof LINK_STATES)[number]

export type SidecarRecord = PacketRecord | FlowRecord | ReadyRecord | StatsRecord | ErrorRecord | LinkRecord
export type RecordType = SidecarRecord['type']

// JSON types as the schema names them; 'integer' is a whole number.
export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'string|integer'

export interface FieldSpec {
  required: Record<string, FieldType>
  optional: Record<string, FieldType>
}

const COMMON = {v: 'integer', type: 'string'} as const

export const RECORD_FIELDS: Record<RecordType, FieldSpec> = {
  packet: {
    required: {...COMMON, ts: 'number', ifindex: 'integer', ifname: 'string', dir: 'string', family: 'integer', proto: 'string|integer', len: 'integer'},
    optional: {src: 'string', dst: 'string', sport: 'integer', dport: 'integer', flags: 'string', icmp_type: 'integer', icmp_code: 'integer', frag: 'string', vlan: 'integer', truncated: 'boolean', ethertype: 'integer'},
  },
  flow: {
    required: {...COMMON, ifindex: 'integer', ifname: 'string', dir: 'string', family: 'integer', proto: 'string|integer', packets: 'integer', bytes: 'integer', first: 'number', last: 'number'},
    optional: {src: 'string', dst: 'string', sport: 'integer', dport: 'integer', ethertype: 'integer'},
  },
  ready: {
    required: {...COMMON, ts: 'number', interfaces: 'array', ring_size: 'integer'},
    optional: {},
  },
  stats: {
    required: {...COMMON, ts: 'number', seen: 'integer', matched: 'integer', emitted: 'integer', dropped: 'integer', written: 'integer', final: 'boolean'},
    optional: {matched_bytes: 'integer', flows: 'integer'},
  },
  link: {
    required: {...COMMON, ts: 'number', ifindex: 'integer', ifname: 'string', state: 'string'},
    optional: {},
  },
  error: {
    required: {...COMMON, code: 'string', message: 'string'},
    optional: {detail: 'string'},
  },
}

/** A line of the stream that is not a valid record; names the line. */
export class RecordError extends Error {
  readonly line: number

  constructor(line: number, problem: string) {
    super(`line ${line}: ${problem}`)
    this.name = 'RecordError'
    this.line = line
  }
}

function hasType(value: unknown, type: FieldType): boolean {
  switch (type) {
    case 'string': return typeof value === 'string'
    case 'number': return typeof value === 'number' && Number.isFinite(value)
    case 'integer': return Number.isInteger(value)
    case 'boolean': return typeof value === 'boolean'
    case 'array': return Array.isArray(value)
    case 'string|integer': return typeof value === 'string' || Number.isInteger(value)
  }
}

function preview(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

/** Parses one NDJSON line into a record, or throws a RecordError naming the line. */
export function parseRecord(text: string, line: number): SidecarRecord {
  if (text.trim() === '') throw new RecordError(line, 'an empty line')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new RecordError(line, `not JSON: ${JSON.stringify(preview(text))}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RecordError(line, `not a JSON object: ${JSON.stringify(preview(text))}`)
  }
  const rec = value as Record<string, unknown>
  if (rec.v === undefined) throw new RecordError(line, 'a JSON object without "v", the record version: not a sockwatch record')
  if (rec.v !== SCHEMA_VERSION) {
    throw new RecordError(line, `record version ${JSON.stringify(rec.v)} is not ${SCHEMA_VERSION}, the version this sockwatch reads`)
  }
  const spec = RECORD_FIELDS[rec.type as RecordType]
  if (typeof rec.type !== 'string' || !Object.hasOwn(RECORD_FIELDS, rec.type)) {
    throw new RecordError(line, `unknown record type ${JSON.stringify(rec.type)}`)
  }
  for (const [name, type] of Object.entries(spec.required)) {
    if (!hasType(rec[name], type)) {
      throw new RecordError(line, `${rec.type} record's "${name}" should be ${type === 'integer' ? 'an integer' : `a ${type}`}, got ${JSON.stringify(rec[name]) ?? 'nothing'}`)
    }
  }
  for (const [name, type] of Object.entries(spec.optional)) {
    if (rec[name] !== undefined && !hasType(rec[name], type)) {
      throw new RecordError(line, `${rec.type} record's "${name}" should be ${type === 'integer' ? 'an integer' : `a ${type}`}, got ${JSON.stringify(rec[name])}`)
    }
  }
  return rec as unknown as SidecarRecord
}

/** Every packet line the sidecar writes starts with exactly this. */
export const PACKET_PREFIX = '{"v":1,"type":"packet",'
