/* SPDX-License-Identifier: MIT */
/*
 * The one layout shared by the kernel program and the sidecar.
 * test/integration/layout.test.ts checks the sidecar's NDJSON against
 * docs/events.schema.json; the sidecar's _Static_asserts pin this struct.
 */
#ifndef SOCKWATCH_H
#define SOCKWATCH_H

#include "owner.h"

#define SW_DIR_IN  0
#define SW_DIR_OUT 1
#define SW_DIR_UNKNOWN 2 /* a file that does not say (pcap; pcapng without epb_flags) */

/* sw_event.flags */
#define SW_EV_PORTS      0x0001 /* sport/dport are valid */
#define SW_EV_ICMP       0x0002 /* icmp_type/icmp_code are valid */
#define SW_EV_FRAG       0x0004 /* an IP fragment */
#define SW_EV_FRAG_LATER 0x0008 /* a fragment other than the first: no L4 header */
#define SW_EV_VLAN       0x0010 /* vlan holds an 802.1Q/802.1ad VLAN ID */
#define SW_EV_TRUNC      0x0020 /* the frame, or the IP datagram, ended before a header did */
#define SW_EV_TCP_FLAGS  0x0040 /* tcp_flags is valid (the TCP header reached byte 13) */
#define SW_EV_ETH        0x0080 /* dmac/smac are valid: the frame has an Ethernet header */
#define SW_EV_LLC        0x0100 /* an 802.3 length frame: llc_dsap/llc_ssap are valid */
#define SW_EV_ARP        0x0200 /* Ethernet/IPv4 ARP: sport is the opcode, saddr holds the
				 * sender's IPv4 then MAC address, daddr the target's */
#define SW_EV_INNER      0x0400 /* an ICMP error: inner_* describe the datagram it quotes */
#define SW_EV_INNER_PORT 0x0800 /* inner_dport is valid */
#define SW_EV_PAYLEN     0x1000 /* paylen is valid */
#define SW_EV_ND         0x2000 /* neighbor solicitation/advertisement: inner_daddr is the target */

/* sw_event.reason: why parsing stopped early, other than running out of bytes
 * (SW_EV_TRUNC). 1..15: the header is malformed; 16 and up: a depth limit of
 * this parser was reached, so what follows was not walked. */
#define SW_WHY_IP_VERSION       1 /* the IP header's version is not its ethertype's */
#define SW_WHY_IP_HEADER_LENGTH 2 /* IPv4 IHL below 5 */
#define SW_WHY_IP_TOTAL_LENGTH  3 /* IPv4 total length below the header length */
#define SW_WHY_TCP_HEADER_LENGTH 4 /* TCP data offset below 5 */
#define SW_WHY_MALFORMED_MAX    15
#define SW_WHY_VLAN_TAGS        16 /* more than SW_MAX_VLAN_TAGS VLAN tags */
#define SW_WHY_IP6_HEADERS      17 /* more than SW_MAX_IP6_EXT IPv6 extension headers */

/* How deep the parser walks, the same in both directions (a receive-side tag
 * the kernel moved into metadata counts as one). */
#define SW_MAX_VLAN_TAGS 8
#define SW_MAX_IP6_EXT   16

struct sw_event {
	__u64 ts_ns;     /* CLOCK_TAI (or CLOCK_BOOTTIME on kernels before 6.1): see clock_tai */
	__u8 saddr[16];  /* IPv4 uses the first 4 bytes; network order. ARP: see SW_EV_ARP */
	__u8 daddr[16];
	__u32 ifindex;
	__u32 len;       /* bytes from the link-layer header on, as libpcap reports */
	__u16 sport;     /* host order */
	__u16 dport;
	__u16 ethertype; /* host order, after any VLAN tags; 0 for an 802.3 length frame */
	__u16 vlan;      /* outermost VLAN ID when SW_EV_VLAN */
	__u8 family;     /* 4, 6, or 0 when not IP */
	__u8 proto;      /* IP protocol number (after IPv6 extension headers) */
	__u8 dir;        /* SW_DIR_* */
	__u8 tcp_flags;  /* FIN SYN RST PSH ACK URG ECE CWR, bit 0 first */
	__u8 icmp_type;
	__u8 icmp_code;
	__u16 flags;     /* SW_EV_* */
	__u8 dmac[6];
	__u8 smac[6];
	__u32 paylen;    /* what tcpdump prints as "length": see docs/events.md */
	__u8 inner_daddr[16]; /* an ICMP error's quoted datagram: its destination; SW_EV_ND: the target */
	__u16 inner_dport;
	__u8 inner_proto;
	__u8 reason;     /* SW_WHY_*, 0 for none */
	__u8 llc_dsap;
	__u8 llc_ssap;
	__u16 lost;      /* with --snaplen: records this CPU could not queue since its last one (at most 65535) */
	struct sw_event_owner who; /* owner_on: whose packet (bpf/owner.bpf.h); pid 0 when unknown */
};

/*
 * Counts of one generation, one per CPU; the sidecar sums them. The program
 * reads the current generation (0 or 1) once per packet and counts it, its
 * ring record and its flow all in that generation; the sidecar flips the
 * generation, waits out an RCU grace period, and only then reads the old one,
 * which nothing writes to any more. So every packet is in exactly one
 * generation, and for each generation read:
 *   matched == emitted + dropped           (packets on)
 *   matched == packets in its flow table + overflow   (flows on)
 */
struct sw_counters {
	__u64 seen;           /* packets the program judged (loopback's outgoing copy excluded) */
	__u64 matched;        /* packets that passed the filter */
	__u64 matched_bytes;  /* sum of len over matched packets */
	__u64 emitted;        /* records submitted to the ring buffer */
	__u64 dropped;        /* ring buffer full: reserve failed */
	__u64 overflow;       /* flows on: the flow table was full, so no flow counts it */
	__u64 overflow_bytes;
};

#define SW_GENERATIONS 2

/* Flows on: the kernel counts per flow in a pre-allocated per-CPU hash, one
 * table per generation (flows0, flows1). */
struct sw_flow_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u32 ifindex;
	__u16 sport; /* 0 without ports */
	__u16 dport;
	__u16 ethertype; /* family 0 only */
	__u8 family;
	__u8 proto;
	__u8 dir;
	__u8 llc;    /* 1: an 802.3/LLC frame, keyed by its SAPs */
	__u8 llc_dsap;
	__u8 llc_ssap;
};

struct sw_flow_val { /* per CPU */
	__u64 packets;
	__u64 bytes;
	__u64 first_ns; /* the clock of sw_event.ts_ns */
	__u64 last_ns;
	__u8 tcp_flags;     /* the OR of its packets' TCP flags (sw_event.tcp_flags) */
	__u8 has_tcp_flags; /* 1: some packet's TCP header reached its flags byte */
	__u8 pad[6];        /* explicit: the update copies the whole value */
};

/* Link types the filter is compiled for (linktypes map, fixed_linktype). */
#define SW_LINKTYPE_ETHER 1 /* Ethernet header first (loopback too): DLT_EN10MB */
#define SW_LINKTYPE_RAW   2 /* IP header first (tun, ipip, sit, WireGuard): DLT_RAW */
#define SW_LINKTYPE_NONE  3 /* neither: the filter matches nothing on it */
#define SW_MAX_LINKTYPES  4096

/* --snaplen: tcpdump's default and largest */
#define SW_SNAPLEN_MAX 262144

#endif /* SOCKWATCH_H */
