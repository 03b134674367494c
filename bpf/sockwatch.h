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

/* sw_event.flags */
#define SW_EV_PORTS      0x01 /* sport/dport are valid */
#define SW_EV_ICMP       0x02 /* icmp_type/icmp_code are valid */
#define SW_EV_FRAG       0x04 /* an IP fragment */
#define SW_EV_FRAG_LATER 0x08 /* a fragment other than the first: no L4 header */
#define SW_EV_VLAN       0x10 /* vlan holds an 802.1Q/802.1ad VLAN ID */
#define SW_EV_TRUNC      0x20 /* a header ended before it could be read */

struct sw_event {
	__u64 ts_ns;     /* CLOCK_TAI (or CLOCK_BOOTTIME on kernels before 6.1): see clock_tai */
	__u8 saddr[16];  /* IPv4 uses the first 4 bytes; network order */
	__u8 daddr[16];
	__u32 ifindex;
	__u32 len;       /* bytes from the link-layer header on, as libpcap reports */
	__u16 sport;     /* host order */
	__u16 dport;
	__u16 ethertype; /* host order, after any VLAN tags */
	__u16 vlan;      /* outermost VLAN ID when SW_EV_VLAN */
	__u8 family;     /* 4, 6, or 0 when not IP */
	__u8 proto;      /* IP protocol number (after IPv6 extension headers) */
	__u8 dir;        /* SW_DIR_* */
	__u8 tcp_flags;  /* FIN SYN RST PSH ACK URG ECE CWR, bit 0 first */
	__u8 icmp_type;
	__u8 icmp_code;
	__u8 flags;      /* SW_EV_* */
	__u8 pad;
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
	__u8 pad[3];
};

struct sw_flow_val { /* per CPU */
	__u64 packets;
	__u64 bytes;
	__u64 first_ns; /* the clock of sw_event.ts_ns */
	__u64 last_ns;
};

/*
 * The kernel filter: an OR of up to SW_MAX_CLAUSES clauses, each an AND of up
 * to SW_MAX_LITERALS literals; no clauses matches everything. The CLI compiles
 * expressions into it (src/filter/, docs/filters.md); the sidecar parses the
 * --clause flags into it (sidecar/filter.c) and sets it in rodata before load.
 */
#define SW_MAX_CLAUSES 8
#define SW_MAX_LITERALS 8

enum sw_lit_kind {
	SW_LIT_DIR = 1, /* value: SW_DIR_* */
	SW_LIT_IFINDEX, /* value: ifindex */
	SW_LIT_FAMILY,  /* value: 4 or 6 */
	SW_LIT_PROTO,   /* value: IP protocol; false for non-IP */
	SW_LIT_SRC,     /* family, addr & mask */
	SW_LIT_DST,
	SW_LIT_HOST,    /* src or dst */
	SW_LIT_SPORT,   /* lo..hi inclusive; false without ports */
	SW_LIT_DPORT,
	SW_LIT_PORT,    /* sport or dport */
};

struct sw_literal {
	__u8 kind;   /* enum sw_lit_kind */
	__u8 negate; /* 1: the literal's result is flipped */
	__u8 family; /* address literals: 4 or 6 */
	__u8 pad;
	__u32 value;
	__u16 lo, hi;
	__u32 addr[4]; /* network order, already masked */
	__u32 mask[4];
	__u32 pad2;
};

struct sw_clause {
	__u32 n; /* literals in use */
	__u32 pad;
	struct sw_literal lit[SW_MAX_LITERALS];
};

struct sw_filter {
	__u32 n; /* clauses in use; 0 matches everything */
	__u32 pad;
	struct sw_clause clause[SW_MAX_CLAUSES];
};

#endif /* SOCKWATCH_H */
