// The parsed filter: a tree of and/or/not over primitives, as tcpdump reads it.

/** Which address or port of a packet a primitive looks at. */
export type Side = 'src' | 'dst' | 'either' | 'both'

/** TCP flags as the `tcpflags` primitive names them, and the letters a record's `flags` uses. */
export const TCP_FLAGS = {fin: 'F', syn: 'S', rst: 'R', psh: 'P', ack: 'A', urg: 'U', ece: 'E', cwr: 'C'} as const
export type TcpFlag = keyof typeof TCP_FLAGS

export type FilterNode =
  /** The empty expression: every packet. */
  | {type: 'all'}
  | {type: 'and' | 'or'; left: FilterNode; right: FilterNode}
  | {type: 'not'; expr: FilterNode}
  /** `ip`, `ip6` */
  | {type: 'family'; family: 4 | 6}
  /** `proto N`, `tcp`, `udp` (any family); `icmp`, `icmp6`, `ip proto N` (one family) */
  | {type: 'proto'; proto: number; family?: 4 | 6}
  /** `host A` (prefix = all bits) and `net A/P`, with `src`/`dst` */
  | {type: 'addr'; side: Side; family: 4 | 6; bytes: number[]; prefix: number}
  /** `port N` (lo = hi) and `portrange A-B`, with `src`/`dst` */
  | {type: 'port'; side: Side; lo: number; hi: number}
  /** `in`, `out` */
  | {type: 'dir'; dir: 'in' | 'out'}
  /** `iface NAME` */
  | {type: 'iface'; name: string}
  /** `tcpflags syn`: the packet's TCP flags include that one */
  | {type: 'tcpflag'; flag: TcpFlag}
  /** `greater N` (len >= N), `less N` (len <= N) */
  | {type: 'len'; op: 'ge' | 'le'; value: number}
  /** `arp`, `rarp`: a non-IP record of that protocol */
  | {type: 'ether'; name: 'arp' | 'rarp'}
  /** `vlan`, `vlan N`: the record has an (outermost) VLAN ID, or that one */
  | {type: 'vlan'; id?: number}

export type PrimitiveNode = Exclude<FilterNode, {type: 'all' | 'and' | 'or' | 'not'}>
