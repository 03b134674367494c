// Validates records against docs/events.schema.json, the one written contract.
import {compileEventsSchema} from './schema-ajv.js'

const validate = compileEventsSchema()

/** Throws naming the first record that breaks the schema. */
export function assertSchema(records: unknown[]): void {
  for (const [i, record] of records.entries()) {
    if (!validate(record)) {
      throw new Error(`record ${i + 1} breaks docs/events.schema.json: ${JSON.stringify(record)}: ${JSON.stringify(validate.errors?.slice(0, 3))}`)
    }
  }
}
