// One IPFIX transport session's state (RFC 7011 sections 3.1 and 8): the sequence
// number (data records sent so far), when templates are due (at the start, then
// for UDP every refresh interval and/or every N messages), and records packed into
// messages of at most a given size. Pure: the caller gives the time and sends the bytes.
import {encodeMessage, encodeRecord, encodeSet, encodeTemplateRecord, MESSAGE_HEADER_LENGTH, OPTIONS_TEMPLATE_SET_ID, SET_HEADER_LENGTH, TEMPLATE_SET_ID} from './encode.js'
import {FLOW_TEMPLATES, RELIABILITY_TEMPLATE, templateFor, type ExportFlow, type Reliability} from './templates.js'

export interface SessionOptions {
  observationDomainId: number
  /** Largest message in octets (UDP: below the path MTU); a record larger than this goes alone. */
  maxMessageLength: number
  /** Re-send the templates this often (ms); 0: never (TCP sends them once per connection). */
  refreshMs: number
  /** Re-send the templates after this many messages; 0: never. */
  refreshMessages: number
}

/** What one message carries, for the caller's counters. */
export interface Encoded {
  bytes: Buffer
  /** Data records in it (flows and options records). */
  records: number
  /** Flows in it, and their packets and octets (for what was not sent, if it fails). */
  flows: number
  packets: number
  octets: number
}

interface Pending {
  setId: number
  bytes: Buffer
  flow?: ExportFlow
}

export class IpfixSession {
  private sequence = 0
  private templatesAt = Number.NEGATIVE_INFINITY
  private messagesSinceTemplates = 0
  private templatesDue = true

  constructor(private readonly options: SessionOptions) {}

  /** Data records sent in this session (the next message's sequence number, before the modulo). */
  get sent(): number {
    return this.sequence
  }

  /** A new transport session (a TCP reconnection): the sequence starts again, templates first (RFC 7011 section 10.4). */
  restart(): void {
    this.sequence = 0
    this.templatesDue = true
  }

  /** Send the templates with the next messages (SIGHUP, or a new collector). */
  refreshTemplates(): void {
    this.templatesDue = true
  }

  /** Whether the templates go out now, by the session's rules. */
  private dueAt(nowMs: number): boolean {
    const {refreshMs, refreshMessages} = this.options
    return this.templatesDue || (refreshMs > 0 && nowMs - this.templatesAt >= refreshMs) || (refreshMessages > 0 && this.messagesSinceTemplates >= refreshMessages)
  }

  /** The template message, when it is due (e.g. on a timer while no flow ends); else nothing. */
  templates(nowMs: number): Encoded[] {
    if (!this.dueAt(nowMs)) return []
    this.templatesDue = false
    this.templatesAt = nowMs
    this.messagesSinceTemplates = 0
    const sets = [
      encodeSet(TEMPLATE_SET_ID, FLOW_TEMPLATES.map(encodeTemplateRecord)),
      encodeSet(OPTIONS_TEMPLATE_SET_ID, [encodeTemplateRecord(RELIABILITY_TEMPLATE)]),
    ]
    return [{bytes: encodeMessage(this.header(nowMs), sets), records: 0, flows: 0, packets: 0, octets: 0}]
  }

  /** Messages for these flows (and the reliability counts), templates first when due. */
  encode(flows: readonly ExportFlow[], reliability: Reliability | undefined, nowMs: number): Encoded[] {
    const out = this.templates(nowMs)
    const pending: Pending[] = [...flows]
      .map((f) => ({setId: templateFor(f).id, bytes: encodeRecord(templateFor(f), f), flow: f}))
      .sort((a, b) => a.setId - b.setId) // stable: each template's records keep their order
    if (reliability) pending.push({setId: RELIABILITY_TEMPLATE.id, bytes: encodeRecord(RELIABILITY_TEMPLATE, reliability)})
    let i = 0
    while (i < pending.length) {
      // refresh by message count between data messages, too
      out.push(...this.templates(nowMs))
      const sets: Buffer[] = []
      let length = MESSAGE_HEADER_LENGTH
      let records = 0
      const sums = {flows: 0, packets: 0, octets: 0}
      while (i < pending.length) {
        const setId = pending[i].setId
        const group: Buffer[] = []
        let setLength = SET_HEADER_LENGTH
        while (i < pending.length && pending[i].setId === setId && (records === 0 || length + setLength + pending[i].bytes.length <= this.options.maxMessageLength)) {
          group.push(pending[i].bytes)
          const flow = pending[i].flow
          if (flow) {
            sums.flows++
            sums.packets += flow.packets
            sums.octets += flow.bytes
          }
          setLength += pending[i].bytes.length
          records++
          i++
        }
        if (group.length === 0) break // the message is full
        sets.push(encodeSet(setId, group))
        length += setLength
      }
      out.push({bytes: encodeMessage(this.header(nowMs), sets), records, ...sums})
      this.sequence += records
      this.messagesSinceTemplates++
    }
    return out
  }

  private header(nowMs: number) {
    return {exportTime: Math.floor(nowMs / 1000), sequence: this.sequence, observationDomainId: this.options.observationDomainId}
  }
}
