// sockwatch's IPFIX templates: one per (address family, direction, owner known)
// for flows, and one options template for what no flow record carries (RFC 7011
// section 4.2's Metering Process Reliability Statistics). docs/fleet.md lists them.
import {END_REASON, FLOW_DIRECTION, IE, SW_IE, type Element, type EndReason} from './elements.js'

/** One flow as it leaves: a finished (or timed-out) entry of the flow cache. */
export interface ExportFlow {
  family: 0 | 4 | 6
  dir: 'in' | 'out'
  ifindex: number
  /** IP protocol number (family 4 and 6). */
  proto: number
  /** family 0: the ethertype. */
  ethertype: number
  src?: string
  dst?: string
  sport?: number
  dport?: number
  packets: number
  bytes: number
  /** TCP: the OR of its packets' flags bytes (tcpControlBits); 0 otherwise. */
  tcpFlags: number
  /** Epoch milliseconds of the first and last packet. */
  startMs: number
  endMs: number
  reason: EndReason
  /** Who owns the socket, when the engine says (issue 16's attribution). */
  owner?: Owner
}

export interface Owner {
  pid: number | null
  comm: string | null
  uid: number | null
  cgroup: string | null
  container: string | null
}

/** The counts no flow record carries, as totals since sockwatch started. */
export interface Reliability {
  domainId: number
  timeMs: number
  /** Packets the metering process did not put in a flow: kernel drops plus flow-table overflow. */
  ignoredPackets: number
  ignoredOctets: number
  /** Flows lost on the way out (a queue full while a TCP collector was away), their packets and octets. */
  notSentFlows: number
  notSentPackets: number
  notSentOctets: number
  kernelDropped: number
  overflow: number
}

export type Value = number | string | undefined

export interface Field<T> {
  element: Element
  value: (record: T) => Value
}

export interface Template<T> {
  id: number
  /** Options templates: how many of the first fields are scope fields; 0 for a plain template. */
  scope: number
  fields: Field<T>[]
}

const FAMILIES = [4, 6, 0] as const
const DIRECTIONS = ['in', 'out'] as const
/** Template IDs start at 256 (RFC 7011 section 3.4.1). */
const FIRST_ID = 256

const field = <T>(element: Element, value: (r: T) => Value): Field<T> => ({element, value})
type F = Field<ExportFlow>

function keyFields(family: 0 | 4 | 6): F[] {
  if (family === 0) return [field(IE.ethernetType, (r) => r.ethertype)]
  const [src, dst] = family === 4 ? [IE.sourceIPv4Address, IE.destinationIPv4Address] : [IE.sourceIPv6Address, IE.destinationIPv6Address]
  return [
    field(src, (r) => r.src), field(dst, (r) => r.dst),
    field(IE.sourceTransportPort, (r) => r.sport ?? 0), field(IE.destinationTransportPort, (r) => r.dport ?? 0),
    field(IE.protocolIdentifier, (r) => r.proto),
    // the OR of the flags seen, 0 for a flow that is not TCP (as NetFlow exporters send)
    field(IE.tcpControlBits, (r) => r.tcpFlags),
  ]
}

const OWNER_FIELDS: F[] = [
  field(SW_IE.pid, (r) => r.owner?.pid ?? 0),
  field(SW_IE.uid, (r) => r.owner?.uid ?? 0),
  field(SW_IE.comm, (r) => r.owner?.comm ?? ''),
  field(SW_IE.cgroup, (r) => r.owner?.cgroup ?? ''),
  field(SW_IE.container, (r) => r.owner?.container ?? ''),
]

/** The template ID for a flow of this family and direction, with or without owner fields. */
export function flowTemplateId(family: 0 | 4 | 6, dir: 'in' | 'out', owner: boolean): number {
  return FIRST_ID + FAMILIES.indexOf(family) * 4 + DIRECTIONS.indexOf(dir) * 2 + (owner ? 1 : 0)
}

function flowTemplate(family: 0 | 4 | 6, dir: 'in' | 'out', owner: boolean): Template<ExportFlow> {
  return {
    id: flowTemplateId(family, dir, owner),
    scope: 0,
    fields: [
      ...keyFields(family),
      // a flow record is one direction on one interface: the interface is where it came in or went out
      field(dir === 'in' ? IE.ingressInterface : IE.egressInterface, (r) => r.ifindex),
      field(IE.flowDirection, () => FLOW_DIRECTION[dir]),
      field(IE.packetDeltaCount, (r) => r.packets),
      field(IE.octetDeltaCount, (r) => r.bytes),
      field(IE.flowStartMilliseconds, (r) => r.startMs),
      field(IE.flowEndMilliseconds, (r) => r.endMs),
      field(IE.flowEndReason, (r) => r.reason),
      ...(owner ? OWNER_FIELDS : []),
    ],
  }
}

/** Every flow template, in ID order. */
export const FLOW_TEMPLATES: readonly Template<ExportFlow>[] = FAMILIES.flatMap((family) => DIRECTIONS.flatMap((dir) => [false, true].map((owner) => flowTemplate(family, dir, owner))))

/** The template a flow is encoded with. */
export function templateFor(flow: ExportFlow): Template<ExportFlow> {
  return FLOW_TEMPLATES[flowTemplateId(flow.family, flow.dir, flow.owner !== undefined) - FIRST_ID]
}

/** The options template for the reliability counts, scoped to the observation domain. */
export const RELIABILITY_TEMPLATE: Template<Reliability> = {
  id: FIRST_ID + FLOW_TEMPLATES.length,
  scope: 1,
  fields: [
    field(IE.observationDomainId, (r) => r.domainId),
    field(IE.observationTimeMilliseconds, (r) => r.timeMs),
    field(IE.ignoredPacketTotalCount, (r) => r.ignoredPackets),
    field(IE.ignoredOctetTotalCount, (r) => r.ignoredOctets),
    field(IE.notSentFlowTotalCount, (r) => r.notSentFlows),
    field(IE.notSentPacketTotalCount, (r) => r.notSentPackets),
    field(IE.notSentOctetTotalCount, (r) => r.notSentOctets),
    field(SW_IE.kernelDropped, (r) => r.kernelDropped),
    field(SW_IE.flowTableOverflow, (r) => r.overflow),
  ],
}

export {END_REASON}
