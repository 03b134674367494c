// IP protocol numbers and the names the sidecar's records use for them (the contract's IP_PROTOCOLS).
import {IP_PROTOCOLS} from '../contract/contract.js'

/** Every protocol name a packet record's `proto` can hold for IP (docs/events.md), with its number. */
export const PROTO_NUMBERS: ReadonlyMap<string, number> = new Map(IP_PROTOCOLS.map((p) => [p.name, p.number]))

/** The IP protocols whose packets carry ports in a record: TCP, UDP, DCCP, SCTP, UDP-Lite. */
export const PORT_PROTOS: ReadonlySet<number> = new Set(IP_PROTOCOLS.filter((p) => 'ports' in p && p.ports).map((p) => p.number))

/** The IP protocol number of a record's `proto` (a name from the table or a number), or undefined. */
export function protoNumber(proto: string | number): number | undefined {
  if (typeof proto === 'number') return Number.isInteger(proto) && proto >= 0 && proto <= 255 ? proto : undefined
  return PROTO_NUMBERS.get(proto)
}

/** The name of an IP protocol number, if the table has one. */
export function protoName(proto: number): string | undefined {
  for (const [name, number] of PROTO_NUMBERS) if (number === proto) return name
  return undefined
}
