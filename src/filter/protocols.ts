// IP protocol numbers and the names the sidecar's records use for them.

/** Every protocol name a packet record's `proto` can hold for IP (docs/events.md), with its number. */
export const PROTO_NUMBERS: ReadonlyMap<string, number> = new Map([
  ['icmp', 1], ['igmp', 2], ['ipip', 4], ['tcp', 6], ['udp', 17], ['dccp', 33], ['ipv6', 41], ['gre', 47],
  ['esp', 50], ['ah', 51], ['icmp6', 58], ['ospf', 89], ['pim', 103], ['vrrp', 112], ['sctp', 132], ['udplite', 136],
])

/** The IP protocols whose packets carry ports in a record: TCP, UDP, DCCP, SCTP, UDP-Lite. */
export const PORT_PROTOS: ReadonlySet<number> = new Set([6, 17, 33, 132, 136])

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
