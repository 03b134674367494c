// IPFIX on the wire (RFC 7011): the message header, template and options template
// sets, data records and sets. Pure functions from values to bytes.
import {isIPv4, isIPv6} from 'node:net'
import {VARIABLE_LENGTH, type Element} from './elements.js'
import type {Template, Value} from './templates.js'

export const IPFIX_VERSION = 10
export const MESSAGE_HEADER_LENGTH = 16
export const SET_HEADER_LENGTH = 4
export const TEMPLATE_SET_ID = 2
export const OPTIONS_TEMPLATE_SET_ID = 3
/** The most a message (and so a set) can hold: its length field is 16 bits. */
export const MAX_MESSAGE_LENGTH = 65535

/** A value the element cannot hold: a bug upstream, or a record the schema should have refused. */
export class EncodeError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'EncodeError'
  }
}

/** The 16 octets of an IPv6 address in text (with '::' and a dotted IPv4 tail allowed). */
export function ipv6Bytes(text: string): Buffer {
  if (!isIPv6(text)) throw new EncodeError(`'${text}' is not an IPv6 address`)
  let body = text.split('%')[0]
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(body)
  if (v4) {
    const b = ipv4Bytes(v4[1])
    body = body.slice(0, v4.index) + `${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}`
  }
  const [head, tail] = body.split('::')
  const words = (s: string | undefined) => (s ? s.split(':') : [])
  const left = words(head)
  const right = words(tail)
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
  const out = Buffer.alloc(16)
  groups.forEach((g, i) => out.writeUInt16BE(Number.parseInt(g, 16), i * 2))
  return out
}

/** The 4 octets of an IPv4 address in dotted text. */
export function ipv4Bytes(text: string): Buffer {
  if (!isIPv4(text)) throw new EncodeError(`'${text}' is not an IPv4 address`)
  return Buffer.from(text.split('.').map(Number))
}

function unsigned(element: Element, value: Value, octets: number): Buffer {
  const max = 2 ** (octets * 8) - 1
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) throw new EncodeError(`${element.name} takes an integer from 0 to ${max}, got ${JSON.stringify(value)}`)
  const out = Buffer.alloc(octets)
  if (octets === 8) out.writeBigUInt64BE(BigInt(value))
  else out.writeUIntBE(value, 0, octets)
  return out
}

/** A variable-length field: one length octet below 255, else 255 and two length octets (RFC 7011 section 7). */
export function variableLength(data: Buffer): Buffer {
  if (data.length > MAX_MESSAGE_LENGTH - 200) throw new EncodeError(`a variable-length value of ${data.length} octets does not fit in a message`)
  const head = data.length < 255 ? Buffer.from([data.length]) : Buffer.from([255, data.length >> 8, data.length & 0xff])
  return Buffer.concat([head, data])
}

/** One field's value in its element's encoding; an unsigned element in its length, which may be reduced (RFC 7011 section 6.2). */
export function encodeValue(element: Element, value: Value): Buffer {
  switch (element.type) {
    case 'unsigned8':
    case 'unsigned16':
    case 'unsigned32':
    case 'unsigned64': return unsigned(element, value, element.length)
    case 'dateTimeMilliseconds': return unsigned(element, value, 8)
    case 'ipv4Address': return ipv4Bytes(String(value))
    case 'ipv6Address': return ipv6Bytes(String(value))
    case 'string': {
      if (typeof value !== 'string') throw new EncodeError(`${element.name} takes a string, got ${JSON.stringify(value)}`)
      const data = Buffer.from(value, 'utf8')
      return element.length === VARIABLE_LENGTH ? variableLength(data) : Buffer.concat([data, Buffer.alloc(Math.max(0, element.length - data.length))], element.length)
    }
  }
}

/** A data record: the template's fields' values, in order, nothing between them. */
export function encodeRecord<T>(template: Template<T>, record: T): Buffer {
  return Buffer.concat(template.fields.map((f) => encodeValue(f.element, f.value(record))))
}

/** A field specifier: element ID (with the enterprise bit), length, and the enterprise number if any. */
function fieldSpecifier(element: Element): Buffer {
  const out = Buffer.alloc(element.enterprise ? 8 : 4)
  out.writeUInt16BE(element.enterprise ? 0x8000 | element.id : element.id, 0)
  out.writeUInt16BE(element.length, 2)
  if (element.enterprise) out.writeUInt32BE(element.enterprise, 4)
  return out
}

/** A template record (or an options template record, when it has scope fields). */
export function encodeTemplateRecord<T>(template: Template<T>): Buffer {
  const head = Buffer.alloc(template.scope ? 6 : 4)
  head.writeUInt16BE(template.id, 0)
  head.writeUInt16BE(template.fields.length, 2)
  if (template.scope) head.writeUInt16BE(template.scope, 4)
  return Buffer.concat([head, ...template.fields.map((f) => fieldSpecifier(f.element))])
}

/** A set: its ID, its length (header included), then its records. */
export function encodeSet(setId: number, records: readonly Buffer[]): Buffer {
  const length = SET_HEADER_LENGTH + records.reduce((n, r) => n + r.length, 0)
  if (length > MAX_MESSAGE_LENGTH - MESSAGE_HEADER_LENGTH) throw new EncodeError(`a set of ${length} octets does not fit in a message`)
  const head = Buffer.alloc(SET_HEADER_LENGTH)
  head.writeUInt16BE(setId, 0)
  head.writeUInt16BE(length, 2)
  return Buffer.concat([head, ...records])
}

export interface MessageHeader {
  /** Seconds since the epoch, when the message leaves. */
  exportTime: number
  /** Data records sent before this message in this transport session and domain, modulo 2^32. */
  sequence: number
  observationDomainId: number
}

/** A message: the 16-octet header, then the sets. */
export function encodeMessage(header: MessageHeader, sets: readonly Buffer[]): Buffer {
  const length = MESSAGE_HEADER_LENGTH + sets.reduce((n, s) => n + s.length, 0)
  if (length > MAX_MESSAGE_LENGTH) throw new EncodeError(`a message of ${length} octets is over IPFIX's ${MAX_MESSAGE_LENGTH}`)
  const head = Buffer.alloc(MESSAGE_HEADER_LENGTH)
  head.writeUInt16BE(IPFIX_VERSION, 0)
  head.writeUInt16BE(length, 2)
  head.writeUInt32BE(header.exportTime >>> 0, 4)
  head.writeUInt32BE(header.sequence >>> 0, 8)
  head.writeUInt32BE(header.observationDomainId >>> 0, 12)
  return Buffer.concat([head, ...sets])
}
