// The Information Elements sockwatch exports (RFC 7011, IANA's IPFIX registry) and
// its own enterprise-specific ones. Data only: the templates are built from these.

/** How a value is encoded on the wire (RFC 7011 section 6.1). */
export type ElementType = 'unsigned8' | 'unsigned16' | 'unsigned32' | 'unsigned64' | 'ipv4Address' | 'ipv6Address' | 'dateTimeMilliseconds' | 'string'

export interface Element {
  name: string
  id: number
  /** Private Enterprise Number for enterprise-specific elements; 0 for IANA's. */
  enterprise: number
  type: ElementType
  /** Octets on the wire; 65535 is variable length (RFC 7011 section 7). */
  length: number
}

/** The enterprise number of sockwatch's own elements: IANA's documentation PEN (RFC 5612) until it has one. */
export const SOCKWATCH_PEN = 32473

/** Field length meaning "variable length" (RFC 7011 section 7). */
export const VARIABLE_LENGTH = 65535

const LENGTHS: Record<ElementType, number> = {
  unsigned8: 1, unsigned16: 2, unsigned32: 4, unsigned64: 8, ipv4Address: 4, ipv6Address: 16, dateTimeMilliseconds: 8, string: VARIABLE_LENGTH,
}

const iana = (name: string, id: number, type: ElementType): Element => ({name, id, enterprise: 0, type, length: LENGTHS[type]})
const own = (name: string, id: number, type: ElementType): Element => ({name, id, enterprise: SOCKWATCH_PEN, type, length: LENGTHS[type]})

/** IANA elements, by the registry's names and numbers. */
export const IE = {
  octetDeltaCount: iana('octetDeltaCount', 1, 'unsigned64'),
  packetDeltaCount: iana('packetDeltaCount', 2, 'unsigned64'),
  protocolIdentifier: iana('protocolIdentifier', 4, 'unsigned8'),
  // unsigned16 since RFC 7125, sent in one octet (reduced-size encoding, RFC 7011 section 6.2):
  // the flags byte is all a flow carries, and pmacct's nfacctd reads this element only as one octet
  tcpControlBits: {...iana('tcpControlBits', 6, 'unsigned16'), length: 1},
  sourceTransportPort: iana('sourceTransportPort', 7, 'unsigned16'),
  sourceIPv4Address: iana('sourceIPv4Address', 8, 'ipv4Address'),
  ingressInterface: iana('ingressInterface', 10, 'unsigned32'),
  destinationTransportPort: iana('destinationTransportPort', 11, 'unsigned16'),
  destinationIPv4Address: iana('destinationIPv4Address', 12, 'ipv4Address'),
  egressInterface: iana('egressInterface', 14, 'unsigned32'),
  sourceIPv6Address: iana('sourceIPv6Address', 27, 'ipv6Address'),
  destinationIPv6Address: iana('destinationIPv6Address', 28, 'ipv6Address'),
  flowDirection: iana('flowDirection', 61, 'unsigned8'),
  flowEndReason: iana('flowEndReason', 136, 'unsigned8'),
  observationDomainId: iana('observationDomainId', 149, 'unsigned32'),
  flowStartMilliseconds: iana('flowStartMilliseconds', 152, 'dateTimeMilliseconds'),
  flowEndMilliseconds: iana('flowEndMilliseconds', 153, 'dateTimeMilliseconds'),
  ignoredPacketTotalCount: iana('ignoredPacketTotalCount', 164, 'unsigned64'),
  ignoredOctetTotalCount: iana('ignoredOctetTotalCount', 165, 'unsigned64'),
  notSentFlowTotalCount: iana('notSentFlowTotalCount', 166, 'unsigned64'),
  notSentPacketTotalCount: iana('notSentPacketTotalCount', 167, 'unsigned64'),
  notSentOctetTotalCount: iana('notSentOctetTotalCount', 168, 'unsigned64'),
  ethernetType: iana('ethernetType', 256, 'unsigned16'),
  observationTimeMilliseconds: iana('observationTimeMilliseconds', 323, 'dateTimeMilliseconds'),
} as const

/** sockwatch's elements (enterprise 32473): who owns the socket behind a flow, and its loss counters (docs/fleet.md). */
export const SW_IE = {
  pid: own('sockwatchPid', 1, 'unsigned32'),
  comm: own('sockwatchComm', 2, 'string'),
  uid: own('sockwatchUid', 3, 'unsigned32'),
  cgroup: own('sockwatchCgroup', 4, 'string'),
  container: own('sockwatchContainer', 5, 'string'),
  /** Packets the kernel could not hand to user space (its ring buffer was full). */
  kernelDropped: own('sockwatchKernelDroppedPacketTotalCount', 6, 'unsigned64'),
  /** Packets counted in no flow because the kernel's flow table was full. */
  flowTableOverflow: own('sockwatchFlowTableOverflowPacketTotalCount', 7, 'unsigned64'),
} as const

/** flowEndReason values (IANA). */
export const END_REASON = {idleTimeout: 1, activeTimeout: 2, endOfFlow: 3, forcedEnd: 4, lackOfResources: 5} as const
export type EndReason = (typeof END_REASON)[keyof typeof END_REASON]

/** flowDirection values (IANA): 0 ingress, 1 egress. */
export const FLOW_DIRECTION = {in: 0, out: 1} as const
