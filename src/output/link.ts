// A captured interface's state change as one line for stderr.
import type {LinkRecord} from '../sidecar/records.js'

/** The stderr line for a link record (no newline). */
export function linkLine(record: LinkRecord): string {
  const name = `interface '${record.ifname}'`
  switch (record.state) {
    case 'down': return `sockwatch: warning: ${name} is down; no packets until it comes up`
    case 'up': return `sockwatch: ${name} is up; capturing on it again`
    case 'gone': return `sockwatch: warning: ${name} was deleted; no more packets from it`
  }
}
