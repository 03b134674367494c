// The one contract between the sidecar (C) and the CLI (TypeScript): record fields, exit
// codes, error codes, protocol names, and limits, written here once.
// scripts/gen-contract.mjs turns it into build/sw_contract.h for the sidecar and the kernel
// program, writes the generated parts of docs/events.md, and with --check fails on drift
// in the C sources and the docs (docs/architecture.md, "One contract"). Data only: no imports.

/** The `v` of every record; a reader refuses any other. */
export const SCHEMA_VERSION = 1

/** Exit codes of the sidecar and the CLI; `c` is the sidecar's name for it. */
export const EXIT_CODES = [
  {name: 'ok', code: 0, c: 'EXIT_OK', meaning: 'ended by `-c`, `-d`, SIGINT/SIGTERM/SIGHUP, or a closed stdout (`| head`)'},
  {name: 'runtime', code: 1, c: 'EXIT_RUNTIME', meaning: 'a runtime failure (the message says which)'},
  {name: 'usage', code: 2, c: 'EXIT_USAGE', meaning: "bad flags or values (the sidecar's sentence says which; the CLI shows it as `sockwatch: …`)"},
  {name: 'permission', code: 3, c: 'EXIT_PERM', meaning: 'missing privilege: CAP_BPF and CAP_NET_RAW (or root); or, for a user other than root, sizes over the kernel memory budget (docs/privileges.md)'},
  {name: 'noInterface', code: 4, c: 'EXIT_NOIF', meaning: 'no such interface, or every captured interface was removed'},
  {name: 'kernel', code: 5, c: 'EXIT_KERNEL', meaning: "the kernel refused the eBPF program or a map (the verifier's last lines are in `detail`)"},
  {name: 'badFile', code: 6, c: 'EXIT_BAD_FILE', meaning: 'the file reader (`sockwatch-read`, behind `-r` of a pcap or pcapng file): the input is not a capture file it can read, or is malformed at the byte offset its sentence gives; the records before that point were written'},
] as const

export type ExitName = (typeof EXIT_CODES)[number]['name']

/** Exit codes by name: EXIT.usage is 2. */
export const EXIT = Object.fromEntries(EXIT_CODES.map((e) => [e.name, e.code])) as {readonly [E in (typeof EXIT_CODES)[number] as E['name']]: E['code']}

/** The error record's `code`s, each with the exit code the sidecar ends with after it. */
export const ERROR_CODE_EXITS = [
  {code: 'permission', exit: 'permission'},
  {code: 'no_such_interface', exit: 'noInterface'},
  {code: 'interface_gone', exit: 'noInterface'},
  {code: 'open_failed', exit: 'runtime'},
  {code: 'ring_size', exit: 'runtime'},
  {code: 'load_failed', exit: 'kernel'},
  {code: 'attach_failed', exit: 'runtime'},
  {code: 'runtime', exit: 'runtime'},
  {code: 'flow_table', exit: 'runtime'},
  {code: 'memory_budget', exit: 'permission'},
  {code: 'bad_filter', exit: 'usage'},
  {code: 'output', exit: 'runtime'},
] as const satisfies readonly {code: string; exit: ExitName}[]

export type ErrorCode = (typeof ERROR_CODE_EXITS)[number]['code']

/** The error codes alone, in the contract's order. */
export const ERROR_CODES: readonly ErrorCode[] = ERROR_CODE_EXITS.map((e) => e.code)

/** A link record's `state`. */
export const LINK_STATES = ['up', 'down', 'gone'] as const

// JSON types as the schema names them; 'integer' is a whole number.
export type FieldType = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'string|integer' | 'integer|null' | 'string|null'

export interface FieldSpec {
  required: Record<string, FieldType>
  optional: Record<string, FieldType>
}

const COMMON = {v: 'integer', type: 'string'} as const

/**
 * Whose packet (docs/attribution.md): present unless --no-process, null when no local socket
 * is known; runtime only with a container; peer_* only when the other end is a local socket too.
 */
const OWNER = {pid: 'integer|null', comm: 'string|null', uid: 'integer|null', cgroup: 'string|null', container: 'string|null', runtime: 'string', peer_pid: 'integer', peer_comm: 'string'} as const

/** A packet's container runtime, named from its cgroup path. */
export const CONTAINER_RUNTIMES = ['docker', 'containerd', 'podman', 'cri-o', 'systemd-nspawn'] as const

/**
 * Every record type and its fields. docs/events.schema.json states the same (checked by
 * test/unit/records-schema.test.ts), docs/events.md has a table a type and the sidecar's
 * writer (sidecar/records.c) writes exactly these keys (both checked by gen-contract --check).
 */
export const RECORD_FIELDS = {
  packet: {
    required: {...COMMON, ts: 'number', ifindex: 'integer', ifname: 'string', dir: 'string', family: 'integer', proto: 'string|integer', len: 'integer'},
    optional: {
      src: 'string', dst: 'string', sport: 'integer', dport: 'integer', flags: 'string', icmp_type: 'integer', icmp_code: 'integer', frag: 'string', vlan: 'integer', truncated: 'boolean', ethertype: 'integer',
      paylen: 'integer', malformed: 'string', unwalked: 'string', llc_dsap: 'integer', llc_ssap: 'integer', smac: 'string', dmac: 'string',
      arp_op: 'integer', arp_sha: 'string', arp_spa: 'string', arp_tpa: 'string', inner_dst: 'string', inner_proto: 'string|integer', inner_dport: 'integer', nd_target: 'string', data: 'string', ...OWNER,
    },
  },
  flow: {
    required: {...COMMON, ifindex: 'integer', ifname: 'string', dir: 'string', family: 'integer', proto: 'string|integer', packets: 'integer', bytes: 'integer', first: 'number', last: 'number'},
    optional: {src: 'string', dst: 'string', sport: 'integer', dport: 'integer', flags: 'string', ethertype: 'integer', llc_dsap: 'integer', llc_ssap: 'integer', ...OWNER},
  },
  ready: {
    required: {...COMMON, ts: 'number', interfaces: 'array', ring_size: 'integer'},
    optional: {process: 'boolean', process_off: 'string', process_route: 'string'},
  },
  stats: {
    required: {...COMMON, ts: 'number', seen: 'integer', matched: 'integer', emitted: 'integer', dropped: 'integer', written: 'integer', final: 'boolean'},
    optional: {matched_bytes: 'integer', flows: 'integer', flow_packets: 'integer', overflow: 'integer', overflow_bytes: 'integer'},
  },
  link: {
    required: {...COMMON, ts: 'number', ifindex: 'integer', ifname: 'string', state: 'string'},
    optional: {},
  },
  error: {
    required: {...COMMON, code: 'string', message: 'string'},
    optional: {detail: 'string'},
  },
} as const satisfies Record<string, FieldSpec>

/** The fields of the objects in a ready record's `interfaces`. */
export const INTERFACE_FIELDS = {ifindex: 'integer', name: 'string'} as const satisfies Record<string, FieldType>

/** The names a record's `proto` uses for IP protocols; `ports`: its packets carry sport/dport. */
export const IP_PROTOCOLS = [
  {name: 'icmp', number: 1},
  {name: 'igmp', number: 2},
  {name: 'ipip', number: 4},
  {name: 'tcp', number: 6, ports: true},
  {name: 'udp', number: 17, ports: true},
  {name: 'dccp', number: 33, ports: true},
  {name: 'ipv6', number: 41},
  {name: 'gre', number: 47},
  {name: 'esp', number: 50},
  {name: 'ah', number: 51},
  {name: 'icmp6', number: 58},
  {name: 'ospf', number: 89},
  {name: 'pim', number: 103},
  {name: 'vrrp', number: 112},
  {name: 'sctp', number: 132, ports: true},
  {name: 'udplite', number: 136, ports: true},
] as const satisfies readonly {name: string; number: number; ports?: true}[]

/** The names a family 0 record's `proto` uses for ethertypes; any other is its hex, "0x88b5". */
export const ETHERTYPES = [
  {name: 'arp', ethertypes: [0x0806]},
  {name: 'rarp', ethertypes: [0x8035]},
  {name: 'lldp', ethertypes: [0x88cc]},
  {name: 'mpls', ethertypes: [0x8847]},
  {name: 'pppoe', ethertypes: [0x8863, 0x8864]},
] as const satisfies readonly {name: string; ethertypes: readonly number[]}[]

/**
 * Why the kernel's parser stopped before the end of the headers, other than running out of
 * bytes (`truncated`): a header that breaks its protocol's rules (`malformed`), or a chain
 * deeper than the parser walks (`unwalked`). `c` names bpf/sockwatch.h's SW_WHY_* value
 * (the kernel program's layout), numbered as `value`; build/sw_contract.h asserts it.
 */
export const PARSE_REASONS = [
  {name: 'ip_version', field: 'malformed', value: 1, c: 'SW_WHY_IP_VERSION', meaning: "the IP header's version is not the one its ethertype names (4 for 0x0800, 6 for 0x86dd); family is 0"},
  {name: 'ip_header_length', field: 'malformed', value: 2, c: 'SW_WHY_IP_HEADER_LENGTH', meaning: 'an IPv4 header length (IHL) below 5 words; family is 0'},
  {name: 'ip_total_length', field: 'malformed', value: 3, c: 'SW_WHY_IP_TOTAL_LENGTH', meaning: 'an IPv4 total length below its header length; family is 0'},
  {name: 'tcp_header_length', field: 'malformed', value: 4, c: 'SW_WHY_TCP_HEADER_LENGTH', meaning: 'a TCP data offset below 5 words; ports are reported, flags are not (as tcpdump and tshark)'},
  {name: 'vlan_tags', field: 'unwalked', value: 16, c: 'SW_WHY_VLAN_TAGS', meaning: 'more than 8 VLAN tags; `ethertype` is the 9th tag\'s TPID, nothing inside is decoded'},
  {name: 'ip6_headers', field: 'unwalked', value: 17, c: 'SW_WHY_IP6_HEADERS', meaning: 'more than 16 IPv6 extension headers; `proto` is the 17th, no ports'},
] as const satisfies readonly {name: string; field: 'malformed' | 'unwalked'; value: number; c: string; meaning: string}[]

/**
 * Limits both sides enforce; `c` is the C macro, generated into build/sw_contract.h, or
 * with `kernel: true` defined by bpf/sockwatch.h (the kernel program's layout) and
 * asserted there to be this value.
 */
export const LIMITS = {
  /** Devices without an Ethernet header the kernel's filter tells apart when capturing on every interface. */
  maxLinktypeDevices: {value: 4096, c: 'SW_MAX_LINKTYPES', kernel: true},
  /** -i interfaces one capture names. */
  maxInterfaces: {value: 64, c: 'SW_MAX_INTERFACES'},
  /** --ring-size bounds in bytes (a power of two between). */
  ringSizeMin: {value: 4096, c: 'SW_RING_SIZE_MIN'},
  ringSizeMax: {value: 2 ** 30, c: 'SW_RING_SIZE_MAX'},
  /** -d: 30 days; anything longer is a typo. */
  maxDurationSeconds: {value: 30 * 24 * 3600, c: 'SW_MAX_DURATION_S'},
  /** --flow-entries bounds. */
  flowEntriesMin: {value: 64, c: 'SW_FLOW_ENTRIES_MIN'},
  flowEntriesMax: {value: 2 ** 24, c: 'SW_FLOW_ENTRIES_MAX'},
  /** Kernel memory (ring + flow tables, per-CPU values counted) one run may pin when not root (docs/privileges.md). */
  memoryBudgetDefault: {value: 128 * 2 ** 20, c: 'SW_MEMORY_BUDGET_DEFAULT'},
  /** --pid values and --cgroup/--container cgroups the kernel's process filter holds. */
  maxProcPids: {value: 16, c: 'SW_MAX_PROC_PIDS', kernel: true},
  maxProcCgroups: {value: 16, c: 'SW_MAX_PROC_CGROUPS', kernel: true},
  /** --owner-entries bounds (the socket and connection owner maps each; bound ports a quarter). */
  ownerEntriesMin: {value: 64, c: 'SW_OWNER_ENTRIES_MIN'},
  ownerEntriesMax: {value: 2 ** 22, c: 'SW_OWNER_ENTRIES_MAX'},
} as const satisfies Record<string, {value: number; c: string; kernel?: true}>

/**
 * The names in tcpdump -n's text lines (tcpdump 4.99) that `capture`'s text output prints,
 * for both of its formatters: src/output/tcpdump.ts (-r, a user-space predicate, a status
 * line) and sidecar/text.c (a live capture whose text the sidecar writes itself).
 * build/sw_contract.h gets them as lookups; gen-contract check fails when a C source writes
 * one as a literal of its own. The sentences around them are written once a side, and
 * test/integration/text-parity.test.ts holds both sides to the same bytes.
 */
export const TEXT_WORDS = {
  /** tcpdump's letter for each of a record's flags FSRPAUEC, bit 0 first ('.' is ACK, 'W' CWR). */
  tcpFlags: 'FSRP.UEW',
  /** ICMP types named without more words (3, 5 and 11 are sentences of their own). */
  icmpTypes: {0: 'echo reply', 8: 'echo request', 12: 'parameter problem'},
  /** ICMP time exceeded (type 11) by code; any other code is code 0's. */
  icmpTimeExceeded: {0: 'time exceeded in-transit', 1: 'ip reassembly time exceeded'},
  icmp6Types: {
    1: 'destination unreachable', 2: 'packet too big', 3: 'time exceeded in-transit', 4: 'parameter problem',
    128: 'echo request', 129: 'echo reply', 130: 'multicast listener query', 131: 'multicast listener report',
    132: 'multicast listener done', 133: 'router solicitation', 134: 'router advertisement',
    135: 'neighbor solicitation', 136: 'neighbor advertisement', 137: 'redirect', 143: 'multicast listener report v2',
  },
  icmp6Unreach: {0: 'unreachable route', 1: 'unreachable prohibited', 2: 'beyond scope', 3: 'unreachable address', 4: 'unreachable port'},
  /** -e and unknown link types: the ethertype's name. */
  ethertypes: {
    0x0800: 'IPv4', 0x86dd: 'IPv6', 0x0806: 'ARP', 0x8035: 'Reverse ARP', 0x8100: '802.1Q', 0x88a8: '802.1Q-QinQ', 0x9100: '802.1Q-9100',
    0x88cc: 'LLDP', 0x8847: 'MPLS unicast', 0x8863: 'PPPoE D', 0x8864: 'PPPoE S',
  },
} as const satisfies {tcpFlags: string; icmpTypes: Record<number, string>; icmpTimeExceeded: Record<number, string>; icmp6Types: Record<number, string>; icmp6Unreach: Record<number, string>; ethertypes: Record<number, string>}

/** Text output's timestamps, tcpdump's -t family by how many -t: 0 local time of day, 1 none, 2 epoch, 3 since the previous packet, 4 local date and time, 5 since the first. */
export const TEXT_STAMPS = 5
