// The sidecar's NDJSON records (docs/events.md, docs/events.schema.json) and a
// strict parser for them. The field names come from the one contract
// (src/contract/contract.ts); test/unit/records-schema.test.ts keeps RECORD_FIELDS
// and FIELD_RULES in step with the schema, in both directions.
import {isIPv4, isIPv6} from 'node:net'
import * as contract from '../contract/contract.js'
import type {ErrorCode, FieldSpec, FieldType} from '../contract/contract.js'

export type {FieldSpec, FieldType} from '../contract/contract.js'
export const SCHEMA_VERSION = contract.SCHEMA_VERSION

export type Direction = 'in' | 'out' | 'unknown'

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
  llc_dsap?: number
  llc_ssap?: number
}

export interface PacketRecord extends FlowKey, OwnerFields {
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
  /** What tcpdump -n prints as `length` (docs/events.md). */
  paylen?: number
  malformed?: MalformedReason
  unwalked?: UnwalkedReason
  smac?: string
  dmac?: string
  arp_op?: number
  arp_sha?: string
  arp_spa?: string
  arp_tpa?: string
  inner_dst?: string
  inner_proto?: string | number
  inner_dport?: number
  /** IPv6 neighbor solicitation or advertisement: the target address. */
  nd_target?: string
  /** --data: the bytes from the network-layer header on, in hex (what tcpdump -X dumps). */
  data?: string
}

/** Whose packet or flow (docs/attribution.md): absent with --no-process, null when unknown. */
export interface OwnerFields {
  pid?: number | null
  comm?: string | null
  uid?: number | null
  cgroup?: string | null
  container?: string | null
  runtime?: ContainerRuntime
  /** Local traffic: the process at the other end. */
  peer_pid?: number
  peer_comm?: string
}

export type MalformedReason = Extract<(typeof contract.PARSE_REASONS)[number], {field: 'malformed'}>['name']
export type UnwalkedReason = Extract<(typeof contract.PARSE_REASONS)[number], {field: 'unwalked'}>['name']

export type ContainerRuntime = (typeof contract.CONTAINER_RUNTIMES)[number]

/** A record's TCP flag letters, bit 0 (FIN) first: the order of `flags` and of the TCP header's flags byte. */
export const TCP_FLAG_LETTERS = 'FSRPAUEC'

/** A `flags` value as the TCP header's flags byte (IPFIX's tcpControlBits): "SA" is 0x12. */
export const tcpFlagBits = (flags: string | undefined): number => [...(flags ?? '')].reduce((bits, c) => bits | (1 << TCP_FLAG_LETTERS.indexOf(c)), 0)

/** Flows mode: one flow's packets and bytes since the previous batch of flow records. */
export interface FlowRecord extends FlowKey, OwnerFields {
  v: 1
  type: 'flow'
  packets: number
  bytes: number
  first: number
  last: number
  /** TCP: the OR of the flags of its packets in the span, in the packet record's letters (FSRPAUEC). */
  flags?: string
}

export interface ReadyRecord {
  v: 1
  type: 'ready'
  ts: number
  interfaces: {ifindex: number; name: string}[]
  ring_size: number
  /** Attribution asked for: on (true) or not possible (false, process_off says why). */
  process?: boolean
  process_off?: string
  /** Attribution on: what fills the owner maps (docs/attribution.md, "Routes"). */
  process_route?: 'cgroup' | 'fentry' | 'kprobe'
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
  /** With --flows: flow records written so far. */
  flows?: number
  /** With --flows: packets those flow records count. */
  flow_packets?: number
  /** With --flows: matched packets no flow counts (the table was full), and their bytes. */
  overflow?: number
  overflow_bytes?: number
}

export interface ErrorRecord {
  v: 1
  type: 'error'
  code: ErrorCode | (string & {})
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

export const LINK_STATES = contract.LINK_STATES
export type LinkState = (typeof LINK_STATES)[number]

export type SidecarRecord = PacketRecord | FlowRecord | ReadyRecord | StatsRecord | ErrorRecord | LinkRecord
export type RecordType = SidecarRecord['type']

/** Each record type's fields, from the contract. */
export const RECORD_FIELDS: Record<RecordType, FieldSpec> = contract.RECORD_FIELDS

// The interfaces above name exactly the contract's fields: a field on one side only does not compile.
type ContractFields<T extends RecordType> = keyof (typeof contract.RECORD_FIELDS)[T]['required'] | keyof (typeof contract.RECORD_FIELDS)[T]['optional']
type SameKeys<R, T extends RecordType> = [keyof R] extends [ContractFields<T>] ? ([ContractFields<T>] extends [keyof R] ? true : `${T}: a field differs from the contract`) : `${T}: a field differs from the contract`
const fieldsAgree: [SameKeys<PacketRecord, 'packet'>, SameKeys<FlowRecord, 'flow'>, SameKeys<ReadyRecord, 'ready'>, SameKeys<StatsRecord, 'stats'>, SameKeys<LinkRecord, 'link'>, SameKeys<ErrorRecord, 'error'>] = [true, true, true, true, true, true]
void fieldsAgree

/**
 * Limits on a field's value beyond its JSON type, in JSON Schema's words; each keyword
 * applies to the values of the type it is about (minimum/maximum to numbers,
 * minLength/pattern to strings), as in the schema.
 */
export interface FieldRule {
  minimum?: number
  maximum?: number
  enum?: readonly (string | number | boolean)[]
  minLength?: number
  pattern?: string
  minItems?: number
  /** An array's items: objects with exactly these fields. */
  items?: {fields: Record<string, FieldType>; rules: Record<string, FieldRule>}
  /** IP address text of the record's family: IPv4 when family is 4, IPv6 when 6, absent when 0. */
  address?: true
}

/** The largest count a JavaScript number holds exactly (2^53 - 1). */
export const MAX_COUNT = Number.MAX_SAFE_INTEGER
const COUNT: FieldRule = {minimum: 0, maximum: MAX_COUNT}
const TS: FieldRule = {minimum: 0}
const PORT: FieldRule = {minimum: 0, maximum: 65535}
const BYTE: FieldRule = {minimum: 0, maximum: 255}
const MAC: FieldRule = {pattern: '^[0-9a-f]{2}(:[0-9a-f]{2}){5}$'}
const IPV4_TEXT: FieldRule = {pattern: '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$'}

/** The error record's codes (docs/events.md), from the contract. */
export const ERROR_CODES = contract.ERROR_CODES

/**
 * What each field may hold, by field name (the same name means the same thing in every
 * record type). parseRecord enforces these; the schema states the same, and
 * test/unit/records-schema.test.ts fails when one side has a limit the other lacks.
 */
export const FIELD_RULES: Record<string, FieldRule> = {
  ts: TS,
  first: TS,
  last: TS,
  ifindex: {minimum: 0},
  ifname: {}, // '' from a file that names no interface
  dir: {enum: ['in', 'out', 'unknown']},
  family: {enum: [0, 4, 6]},
  proto: {minLength: 1, minimum: 0, maximum: 255},
  src: {address: true},
  dst: {address: true},
  sport: PORT,
  dport: PORT,
  ethertype: {minimum: 0, maximum: 65535},
  len: {minimum: 0, maximum: 4_294_967_295},
  flags: {pattern: '^F?S?R?P?A?U?E?C?$'},
  icmp_type: BYTE,
  icmp_code: BYTE,
  frag: {enum: ['first', 'later']},
  vlan: {minimum: 0, maximum: 4095},
  truncated: {enum: [true]},
  paylen: {minimum: 0, maximum: 4_294_967_295},
  malformed: {enum: contract.PARSE_REASONS.filter((r) => r.field === 'malformed').map((r) => r.name)},
  unwalked: {enum: contract.PARSE_REASONS.filter((r) => r.field === 'unwalked').map((r) => r.name)},
  llc_dsap: BYTE,
  llc_ssap: BYTE,
  smac: MAC,
  dmac: MAC,
  arp_op: {minimum: 0, maximum: 65535},
  arp_sha: MAC,
  arp_spa: IPV4_TEXT,
  arp_tpa: IPV4_TEXT,
  inner_dst: {address: true},
  inner_proto: {minLength: 1, minimum: 0, maximum: 255},
  inner_dport: PORT,
  nd_target: {address: true},
  packets: {minimum: 1, maximum: MAX_COUNT},
  bytes: COUNT,
  interfaces: {
    minItems: 1,
    items: {fields: contract.INTERFACE_FIELDS, rules: {ifindex: {minimum: 0}, name: {minLength: 1}}},
  },
  ring_size: {minimum: 4096},
  seen: COUNT,
  matched: COUNT,
  emitted: COUNT,
  dropped: COUNT,
  written: COUNT,
  matched_bytes: COUNT,
  flows: COUNT,
  flow_packets: COUNT,
  overflow: COUNT,
  overflow_bytes: COUNT,
  code: {enum: ERROR_CODES},
  message: {minLength: 1},
  state: {enum: LINK_STATES},
  pid: {minimum: 1},
  comm: {minLength: 1},
  uid: {minimum: 0},
  cgroup: {minLength: 1},
  container: {minLength: 1},
  runtime: {enum: contract.CONTAINER_RUNTIMES},
  peer_pid: {minimum: 1},
  peer_comm: {minLength: 1},
  process_off: {minLength: 1},
  process_route: {enum: ['cgroup', 'fentry', 'kprobe']},
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

/** Whether a JSON value has a field's type. */
export function hasType(value: unknown, type: FieldType): boolean {
  switch (type) {
    case 'string': return typeof value === 'string'
    case 'number': return typeof value === 'number' && Number.isFinite(value)
    case 'integer': return Number.isInteger(value)
    case 'boolean': return typeof value === 'boolean'
    case 'array': return Array.isArray(value)
    case 'string|integer': return typeof value === 'string' || Number.isInteger(value)
    case 'integer|null': return value === null || Number.isInteger(value)
    case 'string|null': return value === null || typeof value === 'string'
  }
}

const typeWords = (type: FieldType) => (type === 'integer' ? 'an integer' : `a ${type}`)

/** What a value breaking `rule` should have been, or undefined when it keeps to it. */
export function ruleProblem(value: unknown, type: FieldType, rule: FieldRule, family: unknown): string | undefined {
  if (rule.enum && !rule.enum.includes(value as string)) return `one of ${rule.enum.map((e) => JSON.stringify(e)).join(', ')}`
  if (typeof value === 'number') {
    const {minimum: min, maximum: max} = rule
    if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
      const what = type === 'number' ? 'a number' : 'an integer'
      return max === undefined ? `${what} of ${min} or more` : `${what} from ${min ?? '-∞'} to ${max}`
    }
  }
  if (typeof value === 'string') {
    if (rule.minLength !== undefined && value.length < rule.minLength) return rule.minLength === 1 ? 'a non-empty string' : `a string of ${rule.minLength} or more characters`
    if (rule.pattern !== undefined && !patternOf(rule.pattern).test(value)) return `a string matching /${rule.pattern}/`
    if (rule.address) {
      if (family === 4 && !isIPv4(value)) return 'an IPv4 address (family 4)'
      if (family === 6 && !isIPv6(value)) return 'an IPv6 address (family 6)'
    }
  }
  if (rule.address && family === 0) return 'absent: family 0 is not IP'
  if (Array.isArray(value) && rule.minItems !== undefined && value.length < rule.minItems) return `an array of at least ${rule.minItems} ${rule.minItems === 1 ? 'item' : 'items'}`
  return undefined
}

const patterns = new Map<string, RegExp>()
/** A rule's pattern, compiled once. */
function patternOf(source: string): RegExp {
  let re = patterns.get(source)
  if (!re) patterns.set(source, (re = new RegExp(source)))
  return re
}

/** Why an array item breaks `items`, or undefined. */
function itemProblem(item: unknown, items: NonNullable<FieldRule['items']>): string | undefined {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return `should be an object, got ${JSON.stringify(item)}`
  const rec = item as Record<string, unknown>
  for (const [name, type] of Object.entries(items.fields)) {
    if (!hasType(rec[name], type)) return `"${name}" should be ${typeWords(type)}, got ${JSON.stringify(rec[name]) ?? 'nothing'}`
    const want = items.rules[name] && ruleProblem(rec[name], type, items.rules[name], undefined)
    if (want) return `"${name}" should be ${want}, got ${JSON.stringify(rec[name])}`
  }
  const extra = Object.keys(rec).find((k) => !Object.hasOwn(items.fields, k))
  return extra === undefined ? undefined : `has an unknown field ${JSON.stringify(extra)}`
}

interface FieldCheck {
  name: string
  type: FieldType
  required: boolean
  rule?: FieldRule
}

/** Per record type: its fields in checking order (required first), with their rules. */
const checks = new Map<string, {fields: FieldCheck[]; names: Set<string>}>()

function checksFor(type: RecordType) {
  let c = checks.get(type)
  if (!c) {
    const spec = RECORD_FIELDS[type]
    const field = (required: boolean) => ([name, t]: [string, FieldType]): FieldCheck => ({name, type: t, required, rule: name === 'v' || name === 'type' ? undefined : FIELD_RULES[name]})
    const fields = [...Object.entries(spec.required).map(field(true)), ...Object.entries(spec.optional).map(field(false))]
    c = {fields, names: new Set(fields.map((f) => f.name))}
    checks.set(type, c)
  }
  return c
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
  if (typeof rec.type !== 'string' || !Object.hasOwn(RECORD_FIELDS, rec.type)) {
    throw new RecordError(line, `unknown record type ${JSON.stringify(rec.type)}`)
  }
  const {fields, names} = checksFor(rec.type as RecordType)
  for (const {name, type, required, rule} of fields) {
    const value = rec[name]
    if (value === undefined && !required) continue
    if (!hasType(value, type)) throw new RecordError(line, `${rec.type} record's "${name}" should be ${typeWords(type)}, got ${JSON.stringify(value) ?? 'nothing'}`)
    if (!rule) continue
    const want = ruleProblem(value, type, rule, rec.family)
    if (want) throw new RecordError(line, `${rec.type} record's "${name}" should be ${want}, got ${JSON.stringify(value)}`)
    if (rule.items) {
      for (const [i, item] of (value as unknown[]).entries()) {
        const problem = itemProblem(item, rule.items)
        if (problem) throw new RecordError(line, `${rec.type} record's "${name}" item ${i + 1} ${problem}`)
      }
    }
  }
  for (const name in rec) {
    if (!names.has(name)) throw new RecordError(line, `${rec.type} record has an unknown field ${JSON.stringify(name)}`)
  }
  return rec as unknown as SidecarRecord
}

/** Every packet line the sidecar writes starts with exactly this (its SW_REC_HEAD_PACKET and a comma). */
export const PACKET_PREFIX = `{"v":${SCHEMA_VERSION},"type":"packet",`
