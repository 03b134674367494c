// NDJSON: one JSON object a line, exact integers, ready for jq.
import type {SidecarRecord} from '../sidecar/records.js'

/** Records as NDJSON text, newline-terminated. */
export function ndjsonLines(records: SidecarRecord[]): string {
  let out = ''
  for (const r of records) out += JSON.stringify(r) + '\n'
  return out
}
