import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {FIELD_RULES, RECORD_FIELDS, RecordError, SCHEMA_VERSION, parseRecord} from '../../src/sidecar/records.js'
import type {FieldRule, FieldSpec, RecordType} from '../../src/sidecar/records.js'
import {compileEventsSchema, readEventsSchema} from '../helpers/schema-ajv.js'
import {fixturePath, readNdjsonFixture} from '../helpers/unit-fixtures.js'

type JsonSchema = {
  type?: string
  const?: unknown
  enum?: unknown[]
  oneOf?: JsonSchema[]
  $ref?: string
  required?: string[]
  properties?: Record<string, JsonSchema>
  definitions?: Record<string, JsonSchema>
  [keyword: string]: unknown
}

const schema = readEventsSchema() as JsonSchema
const definitions = schema.definitions ?? {}
const recordTypes = Object.keys(RECORD_FIELDS) as RecordType[]

function resolve(property: JsonSchema): JsonSchema {
  if (property.$ref === undefined) return property
  const match = /^#\/definitions\/(\w+)$/.exec(property.$ref)
  if (!match || !definitions[match[1]]) throw new Error(`cannot resolve ${property.$ref}`)
  return resolve(definitions[match[1]])
}

// Alternatives of a oneOf are listed in this order, so string/integer reads 'string|integer' as in FieldType.
const TYPE_ORDER = ['string', 'number', 'integer', 'boolean', 'array', 'object', 'null']

function jsonType(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number'
  return typeof value
}

/** The FieldType a schema property allows, or a description of why there is none. */
function schemaFieldType(property: JsonSchema): string {
  const p = resolve(property)
  if (p.const !== undefined) return jsonType(p.const)
  if (p.enum) {
    const types = [...new Set(p.enum.map(jsonType))]
    return types.length === 1 ? types[0] : `mixed enum (${types.join(', ')})`
  }
  if (p.oneOf) {
    const types = [...new Set(p.oneOf.map((alt) => schemaFieldType(alt)))]
    return types.sort((a, b) => TYPE_ORDER.indexOf(a) - TYPE_ORDER.indexOf(b)).join('|')
  }
  return p.type ?? 'no type'
}

const sorted = (names: string[]) => [...names].sort()

const fields = suite('records-schema')

fields('records-schema :: the schema version is SCHEMA_VERSION', () => {
  assert.is(SCHEMA_VERSION, 1)
  assert.equal(schema.properties?.v, {const: SCHEMA_VERSION})
})

fields('records-schema :: the schema and RECORD_FIELDS name the same record types', () => {
  assert.equal(sorted(schema.properties?.type?.enum as string[]), sorted(recordTypes))
  assert.equal(sorted(schema.oneOf!.map((alt) => alt.$ref!)), sorted(recordTypes.map((t) => `#/definitions/${t}`)))
})

for (const type of recordTypes) {
  const spec = RECORD_FIELDS[type]
  const definition = definitions[type]

  fields(`records-schema :: ${type}: the definition's type is const "${type}"`, () => {
    assert.ok(definition, `docs/events.schema.json has no definitions.${type}`)
    assert.equal(definition.properties?.type, {const: type})
  })

  fields(`records-schema :: ${type}: required fields match the schema`, () => {
    assert.equal(sorted(Object.keys(spec.required)), sorted(definition.required ?? []))
  })

  fields(`records-schema :: ${type}: required and optional fields together are the schema's properties`, () => {
    const ours = [...Object.keys(spec.required), ...Object.keys(spec.optional)]
    assert.is(new Set(ours).size, ours.length, 'a field is both required and optional')
    assert.equal(sorted(ours), sorted(Object.keys(definition.properties ?? {})))
  })

  for (const [name, fieldType] of Object.entries({...spec.required, ...spec.optional})) {
    fields(`records-schema :: ${type}.${name} is '${fieldType}' in the schema too`, () => {
      const property = definition.properties?.[name]
      assert.ok(property, `definitions.${type}.properties has no ${name}`)
      assert.is(schemaFieldType(property!), fieldType)
    })
  }
}

// The helper itself, on every shape the schema uses: it must be able to say no.
const shapes: [string, JsonSchema, string][] = [
  ['integer type', {type: 'integer'}, 'integer'],
  ['number type', {type: 'number'}, 'number'],
  ['enum of strings', {enum: ['in', 'out']}, 'string'],
  ['enum of integers', {enum: [0, 4, 6]}, 'integer'],
  ['const true', {const: true}, 'boolean'],
  ['const 1', {const: 1}, 'integer'],
  ['const string', {const: 'packet'}, 'string'],
  ['oneOf string/integer', {oneOf: [{type: 'string', minLength: 1}, {type: 'integer'}]}, 'string|integer'],
  ['oneOf integer/string', {oneOf: [{type: 'integer'}, {type: 'string'}]}, 'string|integer'],
  ['a mixed enum', {enum: ['any', 0]}, 'mixed enum (string, integer)'],
  ['no type at all', {}, 'no type'],
  ['$ref to count', {$ref: '#/definitions/count'}, 'integer'],
  ['$ref to ts', {$ref: '#/definitions/ts'}, 'number'],
]
for (const [what, property, want] of shapes) {
  fields(`records-schema :: the schema reader maps ${what} to ${want}`, () => {
    assert.is(schemaFieldType(property), want)
  })
}

fields.run()

// Limits (minimum, maximum, enum, minLength, pattern, minItems, items, addresses): the schema
// and FIELD_RULES must state the same ones, field by field. A limit on one side only is drift.

/** The keywords of a property that limit its value, as a FieldRule-like object; unknown ones kept, so they show. */
function schemaLimits(property: JsonSchema | boolean, defs: Record<string, JsonSchema>): Record<string, unknown> {
  if (typeof property === 'boolean') return {unknown: property}
  let p = property
  while (p.$ref !== undefined) {
    const match = /^#\/definitions\/(\w+)$/.exec(p.$ref)
    if (!match || !defs[match[1]]) return {unknown: p.$ref}
    p = defs[match[1]]
  }
  const out: Record<string, unknown> = {}
  for (const [keyword, value] of Object.entries(p)) {
    if (['type', 'description', '$ref'].includes(keyword)) continue
    if (keyword === 'const') out.enum = [value]
    else if (keyword === 'oneOf') Object.assign(out, ...(value as JsonSchema[]).map((alt) => schemaLimits(alt, defs)))
    else if (keyword === 'items') {
      const items = value as JsonSchema
      const names = Object.keys(items.properties ?? {})
      if (items.additionalProperties !== false || !names.every((n) => items.required?.includes(n)) || items.required?.length !== names.length) out.items = {unknown: items}
      else {
        out.items = {
          fields: Object.fromEntries(names.map((n) => [n, schemaFieldType(items.properties![n])])),
          rules: Object.fromEntries(names.map((n) => [n, schemaLimits(items.properties![n], defs)])),
        }
      }
    } else out[keyword] = value
  }
  return out
}

const ADDRESS = {4: 'ipv4', 6: 'ipv6', 0: false}

/** Per field, what a definition's if-family-then-properties clauses say: {4: format, 6: format, 0: false}. */
function familyClauses(definition: JsonSchema, defs: Record<string, JsonSchema>): {byField: Record<string, Record<string, unknown>>; unknown: unknown[]} {
  const byField: Record<string, Record<string, unknown>> = {}
  const unknown: unknown[] = []
  const walk = (clauses: JsonSchema[]) => {
    for (const clause of clauses) {
      if (clause.$ref !== undefined) {
        const target = defs[/^#\/definitions\/(\w+)$/.exec(clause.$ref)?.[1] ?? '']
        if (target?.allOf) walk(target.allOf as JsonSchema[])
        else unknown.push(clause)
        continue
      }
      const family = ((clause.if as JsonSchema | undefined)?.properties?.family as JsonSchema | undefined)?.const
      const then = (clause.then as JsonSchema | undefined)?.properties
      if (typeof family !== 'number' || !then || Object.keys(clause).some((k) => k !== 'if' && k !== 'then')) {
        unknown.push(clause)
        continue
      }
      for (const [field, limit] of Object.entries(then)) {
        byField[field] ??= {}
        byField[field][family] = typeof limit === 'boolean' ? limit : Object.keys(limit).length === 1 ? limit.format : limit
      }
    }
  }
  walk((definition.allOf as JsonSchema[] | undefined) ?? [])
  return {byField, unknown}
}

/** A FieldRule as schemaLimits describes the schema (enum sorted, address apart). */
function ruleLimits(rule: FieldRule | undefined): Record<string, unknown> {
  const {address, items, ...rest} = rule ?? {}
  const out: Record<string, unknown> = {...rest}
  if (items) out.items = {fields: items.fields, rules: Object.fromEntries(Object.entries(items.rules).map(([n, r]) => [n, ruleLimits(r)]))}
  return out
}

const normalize = (limits: Record<string, unknown>) => JSON.stringify(Object.fromEntries(Object.entries(limits).map(([k, v]) => [k, k === 'enum' ? [...(v as unknown[])].sort() : v]).sort(([a], [b]) => String(a).localeCompare(String(b)))))

/** Every difference between the schema's limits and the rules, one sentence each; none when they agree. */
function limitDrift(doc: JsonSchema, rules: Record<string, FieldRule>, records: Record<string, FieldSpec>): string[] {
  const defs = doc.definitions ?? {}
  const drift: string[] = []
  for (const [type, spec] of Object.entries(records)) {
    const definition = defs[type]
    if (!definition) {
      drift.push(`${type}: no definition in the schema`)
      continue
    }
    if (definition.additionalProperties !== false) drift.push(`${type}: the schema allows unknown fields; parseRecord refuses them`)
    const {byField, unknown} = familyClauses(definition, defs)
    for (const clause of unknown) drift.push(`${type}: a clause the rules cannot state: ${JSON.stringify(clause)}`)
    for (const name of [...Object.keys(spec.required), ...Object.keys(spec.optional)]) {
      if (name === 'v' || name === 'type') continue
      const property = definition.properties?.[name]
      if (!property) continue // the field-name tests above report it
      const theirs = normalize(schemaLimits(property, defs))
      const ours = normalize(ruleLimits(rules[name]))
      if (theirs !== ours) drift.push(`${type}.${name}: the schema says ${theirs}, FIELD_RULES says ${ours}`)
      const family = byField[name] ? JSON.stringify(byField[name]) : undefined
      const want = rules[name]?.address ? JSON.stringify(ADDRESS) : undefined
      if (family !== want) drift.push(`${type}.${name}: the schema ties it to family as ${family ?? 'nothing'}, FIELD_RULES as ${want ?? 'nothing'}`)
    }
  }
  return drift
}

const limits = suite('records-limits')
const copy = <T>(value: T): T => structuredClone(value)

limits('records-limits :: the schema and FIELD_RULES state the same limits on every field', () => {
  assert.equal(limitDrift(schema, FIELD_RULES, RECORD_FIELDS), [])
})

// Each change below is made on one side only: the comparison must name the field.
const schemaChanges: [string, (s: JsonSchema) => void, RegExp][] = [
  ['a port without its maximum', (s) => delete s.definitions!.port.maximum, /^packet\.sport: /],
  ['a minimum on ifname', (s) => (s.definitions!.packet.properties!.ifname.minimum = 3), /^packet\.ifname: /],
  ['a third direction', (s) => (s.definitions!.flow.properties!.dir.enum = ['in', 'out', 'both']), /^flow\.dir: /],
  ['len without its maximum', (s) => delete s.definitions!.packet.properties!.len.maximum, /^packet\.len: /],
  ['no format for IPv6 addresses', (s) => {
    const clauses = s.definitions!.addressOfFamily.allOf as JsonSchema[]
    clauses.splice(1, 1)
  }, /^packet\.src: the schema ties it to family/],
  ['a pattern on error messages', (s) => (s.definitions!.error.properties!.message.pattern = '^[a-z]'), /^error\.message: /],
  ['stats open to unknown fields', (s) => delete s.definitions!.stats.additionalProperties, /^stats: the schema allows unknown fields/],
  ['interfaces items that allow more fields', (s) => delete (s.definitions!.ready.properties!.interfaces.items as JsonSchema).additionalProperties, /^ready\.interfaces: /],
  ['a new conditional clause', (s) => (s.definitions!.flow.allOf as JsonSchema[]).push({if: {properties: {dir: {const: 'in'}}}, then: {required: ['src']}}), /^flow: a clause the rules cannot state/],
]
for (const [what, change, names] of schemaChanges) {
  limits(`records-limits :: drift: the schema gets ${what}, FIELD_RULES does not`, () => {
    const changed = copy(schema)
    change(changed)
    const drift = limitDrift(changed, FIELD_RULES, RECORD_FIELDS)
    assert.ok(drift.some((d) => names.test(d)), drift.join('\n') || 'no drift found')
  })
}

const ruleChanges: [string, (r: Record<string, FieldRule>) => void, RegExp][] = [
  ['len without its maximum', (r) => delete r.len.maximum, /^packet\.len: /],
  ['a pattern on ifname', (r) => (r.ifname.pattern = '^[a-z]'), /^packet\.ifname: /],
  ['vlan up to 4096', (r) => (r.vlan.maximum = 4096), /^packet\.vlan: /],
  ['dst no longer tied to family', (r) => delete r.dst.address, /^packet\.dst: the schema ties it to family/],
  ['an error code the schema lacks', (r) => (r.code = {enum: [...(r.code.enum ?? []), 'new_code']}), /^error\.code: /],
  ['interface names of 2 characters or more', (r) => (r.interfaces.items!.rules.name.minLength = 2), /^ready\.interfaces: /],
  ['no limit on matched', (r) => delete r.matched, /^stats\.matched: /],
]
for (const [what, change, names] of ruleChanges) {
  limits(`records-limits :: drift: FIELD_RULES gets ${what}, the schema does not`, () => {
    const changed = copy(FIELD_RULES)
    change(changed)
    const drift = limitDrift(schema, changed, RECORD_FIELDS)
    assert.ok(drift.some((d) => names.test(d)), drift.join('\n') || 'no drift found')
  })
}

limits.run()

// ajv against parseRecord on the same samples: both must accept exactly the valid ones.
const validate = compileEventsSchema(schema)

const packet = {v: 1, type: 'packet', ts: 1700000000.123456, ifindex: 1, ifname: 'lo', dir: 'in', family: 4, proto: 'udp', src: '127.0.0.1', dst: '127.0.0.1', sport: 40000, dport: 53, len: 71}
const ready = {v: 1, type: 'ready', ts: 1700000000.000001, interfaces: [{ifindex: 1, name: 'lo'}], ring_size: 8388608}
const stats = {v: 1, type: 'stats', ts: 1700000005.25, seen: 9, matched: 8, emitted: 5, dropped: 3, written: 5, final: true}
const error = {v: 1, type: 'error', code: 'permission', message: 'needs CAP_BPF'}
const flow = {v: 1, type: 'flow', ifindex: 1, ifname: 'lo', dir: 'in', family: 6, proto: 'udp', src: '::1', dst: '::1', sport: 5353, dport: 5353, packets: 3, bytes: 300, first: 1700000000.5, last: 1700000001.5}
const without = (record: object, field: string) => Object.fromEntries(Object.entries(record).filter(([k]) => k !== field))

const samples: [string, unknown, boolean][] = [
  ['a UDP v4 packet', packet, true],
  ['a TCP v6 packet', {...packet, family: 6, proto: 'tcp', src: '2001:db8::1', dst: '2001:db8::2', flags: 'SA'}, true],
  ['an ARP packet (family 0)', {v: 1, type: 'packet', ts: 1700000003.999999, ifindex: 2, ifname: 'eth0', dir: 'in', family: 0, proto: 'arp', ethertype: 2054, len: 42}, true],
  ['a GRE packet with a numeric proto, frag, vlan, truncated', {...without(packet, 'sport'), dport: undefined, proto: 47, frag: 'later', vlan: 10, truncated: true}, true],
  ['a ready record', ready, true],
  ['a stats record', stats, true],
  ['an error record with detail', {...error, detail: 'libbpf: -EPERM'}, true],
  ['a packet without v', without(packet, 'v'), false],
  ['a packet with v 2', {...packet, v: 2}, false],
  ['a record of an unknown type', {v: 1, type: 'hello', ts: 1}, false],
  ['a packet with ts as a string', {...packet, ts: '1700000000.123456'}, false],
  ['a packet without len', without(packet, 'len'), false],
  ['a packet with a fractional len', {...packet, len: 71.5}, false],
  ['a packet with sport as a string', {...packet, sport: '40000'}, false],
  ['a packet with proto true', {...packet, proto: true}, false],
  ['a ready record with interfaces as an object', {...ready, interfaces: {lo: 1}}, false],
  ['a stats record without final', without(stats, 'final'), false],
  ['a stats record with a fractional dropped', {...stats, dropped: 0.5}, false],
  ['an error record with a numeric message', {...error, message: 42}, false],
  ['a JSON array', [packet], false],
  ['a flow record', flow, true],
  ['a flow record with 0 packets', {...flow, packets: 0}, false],
  ['a flow record with an IPv4 src in family 6', {...flow, src: '10.0.0.1'}, false],
  // values of the right JSON type that the schema still forbids (issue item 8)
  ['a packet with len -5', {...packet, len: -5}, false],
  ['a packet with len 1e300', {...packet, len: 1e300}, false],
  ['a packet with sport 70000', {...packet, sport: 70000}, false],
  ['a packet with dport -1', {...packet, dport: -1}, false],
  ['a packet with dir "sideways"', {...packet, dir: 'sideways'}, false],
  ['a packet with src "not-an-ip"', {...packet, src: 'not-an-ip'}, false],
  ['a packet with family 9', {...packet, family: 9}, false],
  ['a family 4 packet with IPv6 addresses', {...packet, src: '::1', dst: '::1'}, false],
  ['a family 6 packet with an IPv4 dst', {...packet, family: 6, src: '::1', dst: '127.0.0.1'}, false],
  ['a family 0 packet with addresses', {...packet, family: 0, proto: 'arp', ethertype: 2054, sport: undefined, dport: undefined}, false],
  ['a packet with an unknown field', {...packet, colour: 'red'}, false],
  ['a packet with frag "middle"', {...packet, frag: 'middle'}, false],
  ['a packet with icmp_type 256', {...packet, icmp_type: 256}, false],
  ['a packet with vlan 4096', {...packet, vlan: 4096}, false],
  ['a packet with truncated false', {...packet, truncated: false}, false],
  ['a packet with flags "X"', {...packet, flags: 'X'}, false],
  ['a packet with ifindex 0 (a file that names no interface)', {...packet, ifindex: 0, ifname: ''}, true],
  ['a packet with ifindex -1', {...packet, ifindex: -1}, false],
  ['a packet with dir unknown (a pcap file)', {...packet, dir: 'unknown'}, true],
  ['a packet with its bytes (--data)', {...packet, data: '4500'}, true],
  ['a packet with ts -1', {...packet, ts: -1}, false],
  ['a packet with proto 256', {...packet, proto: 256}, false],
  ['a packet with proto ""', {...packet, proto: ''}, false],
  ['a stats record with dropped -1', {...stats, dropped: -1}, false],
  ['a stats record with seen past 2^53', {...stats, seen: 2 ** 60}, false],
  ['a ready record with no interfaces', {...ready, interfaces: []}, false],
  ['a ready record with an interface without a name', {...ready, interfaces: [{ifindex: 1}]}, false],
  ['a ready record with a 1 KB ring', {...ready, ring_size: 1024}, false],
  ['an error record with an unknown code', {...error, code: 'oops'}, false],
  ['an error record with an empty message', {...error, message: ''}, false],
]

// Every numeric limit and enum in FIELD_RULES, at and past its edges, on a valid record of each type.
const bases: Record<string, Record<string, unknown>> = {
  packet: {...packet, flags: 'S', icmp_type: 0, icmp_code: 0, frag: 'first', vlan: 1, truncated: true, ethertype: 2048},
  flow: {...flow, ethertype: 34525},
  ready,
  stats: {...stats, matched_bytes: 800, flows: 2},
  error: {...error, detail: 'x'},
  link: {v: 1, type: 'link', ts: 1700000002.5, ifindex: 2, ifname: 'eth0', state: 'down'},
}
/** A record with one field set, kept consistent where another field depends on it (family and addresses). */
function withField(type: string, name: string, value: unknown): Record<string, unknown> {
  const record: Record<string, unknown> = {...bases[type], [name]: value}
  if (name === 'family' && value === 0) {
    delete record.src
    delete record.dst
  }
  if (name === 'family' && value === 6) Object.assign(record, {src: '2001:db8::1', dst: '::1'})
  if (name === 'family' && value === 4) Object.assign(record, {src: '192.0.2.1', dst: '127.0.0.1'})
  return record
}
for (const [type, spec] of Object.entries(RECORD_FIELDS)) {
  for (const name of Object.keys({...spec.required, ...spec.optional})) {
    const rule = FIELD_RULES[name]
    if (!rule || name === 'v' || name === 'type' || !bases[type]) continue
    const {minimum: min, maximum: max} = rule
    if (min !== undefined) samples.push([`a ${type} record with ${name} ${min}, its minimum`, withField(type, name, min), true], [`a ${type} record with ${name} ${min - 1}, below its minimum`, withField(type, name, min - 1), false])
    if (max !== undefined) samples.push([`a ${type} record with ${name} ${max}, its maximum`, withField(type, name, max), true], [`a ${type} record with ${name} ${max + 1}, past its maximum`, withField(type, name, max + 1), false])
    for (const value of rule.enum ?? []) samples.push([`a ${type} record with ${name} ${JSON.stringify(value)}`, withField(type, name, value), true])
    if (rule.enum) samples.push([`a ${type} record with ${name} outside its enum`, withField(type, name, typeof rule.enum[0] === 'number' ? 5 : typeof rule.enum[0] === 'boolean' ? false : 'neither'), false])
    if (rule.minLength !== undefined) samples.push([`a ${type} record with ${name} shorter than ${rule.minLength}`, withField(type, name, 'x'.repeat(rule.minLength - 1)), false])
  }
}

const agree = suite('records-ajv')
for (const [what, sample, valid] of samples) {
  // JSON text, as the CLI would read it (undefined fields drop out)
  const text = JSON.stringify(sample)
  agree(`records-ajv :: ${what} is ${valid ? 'accepted' : 'refused'} by the schema and by parseRecord`, () => {
    assert.is(validate(JSON.parse(text)), valid, `ajv: ${JSON.stringify(validate.errors)}`)
    let parsed = true
    try {
      parseRecord(text, 1)
    } catch (e) {
      assert.instance(e, RecordError)
      parsed = false
    }
    assert.is(parsed, valid, `parseRecord on ${text}`)
  })
}

// The fixtures the CLI tests feed through a fake sidecar must be records the real one could write.
for (const name of ['capture.ndjson', 'no-final-stats.ndjson', 'permission-error.ndjson', 'interface-gone.ndjson', 'link-events.ndjson', 'link-events-flows.ndjson', 'key-order.ndjson']) {
  agree(`records-ajv :: every line of test/fixtures/${name} is a valid record`, () => {
    const lines = readNdjsonFixture(name)
    assert.ok(lines.length > 0, `${fixturePath(name)} is empty`)
    for (const [i, line] of lines.entries()) {
      assert.ok(validate(JSON.parse(line)), `${name}:${i + 1}: ${JSON.stringify(validate.errors)}`)
      parseRecord(line, i + 1)
    }
  })
}

agree.run()
