import {Ajv} from 'ajv'
import {readFileSync} from 'node:fs'
import {suite} from 'uvu'
import * as assert from 'uvu/assert'
import {RECORD_FIELDS, RecordError, SCHEMA_VERSION, parseRecord} from '../../src/sidecar/records.js'
import type {RecordType} from '../../src/sidecar/records.js'
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

const schema = JSON.parse(readFileSync(new URL('../../docs/events.schema.json', import.meta.url), 'utf8')) as JsonSchema
const definitions = schema.definitions ?? {}
const recordTypes = Object.keys(RECORD_FIELDS) as RecordType[]

function resolve(property: JsonSchema): JsonSchema {
  if (property.$ref === undefined) return property
  const match = /^#\/definitions\/(\w+)$/.exec(property.$ref)
  if (!match || !definitions[match[1]]) throw new Error(`cannot resolve ${property.$ref}`)
  return resolve(definitions[match[1]])
}

// Alternatives of a oneOf are listed in this order, so string/integer reads 'string|integer' as in FieldType.
const TYPE_ORDER = ['string', 'number', 'integer', 'boolean', 'array', 'object']

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

// ajv against parseRecord on the same samples: both must accept exactly the valid ones.
const ajv = new Ajv({strict: false, allErrors: true})
const validate = ajv.compile(schema)

const packet = {v: 1, type: 'packet', ts: 1700000000.123456, ifindex: 1, ifname: 'lo', dir: 'in', family: 4, proto: 'udp', src: '127.0.0.1', dst: '127.0.0.1', sport: 40000, dport: 53, len: 71}
const ready = {v: 1, type: 'ready', ts: 1700000000.000001, interfaces: [{ifindex: 1, name: 'lo'}], ring_size: 8388608}
const stats = {v: 1, type: 'stats', ts: 1700000005.25, seen: 9, matched: 8, emitted: 5, dropped: 3, written: 5, final: true}
const error = {v: 1, type: 'error', code: 'permission', message: 'needs CAP_BPF'}
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
]

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
for (const name of ['capture.ndjson', 'no-final-stats.ndjson', 'permission-error.ndjson', 'interface-gone.ndjson', 'link-events.ndjson', 'link-events-flows.ndjson']) {
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
