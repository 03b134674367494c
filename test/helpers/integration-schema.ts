// Validates records against docs/events.schema.json, the one written contract.
import Ajv from 'ajv'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {ROOT} from './integration-capture.js'

const schema = JSON.parse(readFileSync(join(ROOT, 'docs/events.schema.json'), 'utf8'))
const validate = new Ajv.default({strict: false, allErrors: true}).compile(schema)

/** Throws naming the first record that breaks the schema. */
export function assertSchema(records: unknown[]): void {
  for (const [i, record] of records.entries()) {
    if (!validate(record)) {
      throw new Error(`record ${i + 1} breaks docs/events.schema.json: ${JSON.stringify(record)}: ${JSON.stringify(validate.errors?.slice(0, 3))}`)
    }
  }
}
