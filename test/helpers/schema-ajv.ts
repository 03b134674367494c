// docs/events.schema.json compiled with ajv, with the two formats it uses checked
// by node:net (the same functions src/sidecar/records.ts uses): without them ajv
// would ignore "format" and accept any text as an address.
import {Ajv} from 'ajv'
import {readFileSync} from 'node:fs'
import {isIPv4, isIPv6} from 'node:net'

export const EVENTS_SCHEMA_PATH = new URL('../../docs/events.schema.json', import.meta.url)

/** The schema as parsed JSON. */
export function readEventsSchema() {
  return JSON.parse(readFileSync(EVENTS_SCHEMA_PATH, 'utf8'))
}

/** A validator for one record against the schema (or a changed copy of it). */
export function compileEventsSchema(schema: object = readEventsSchema()) {
  const ajv = new Ajv({strict: false, allErrors: true, formats: {ipv4: isIPv4, ipv6: isIPv6}})
  return ajv.compile(schema)
}
