// SPDX-License-Identifier: MIT
/*
 * Socket filter attached to AF_PACKET sockets: parse each packet's headers
 * into a struct sw_event, count it, and hand it to user space through a ring
 * buffer. It returns 0, so the raw socket itself never queues anything.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include <stdbool.h>
#include "sockwatch.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Set by the sidecar before load. */
const volatile __u32 loopback_ifindex = 1;
/* Past this much unread data a submit wakes the sidecar; below it the sidecar
 * drains on its own timer, so a busy ring costs no wake-up per event. */
const volatile __u64 wakeup_bytes = 2 << 20;
/* Tests only (sidecar --test-reject): makes the verifier refuse the program,
 * to check how a refusal reaches the user. Dead code when false. */
const volatile bool test_reject = false;
/* Two independent switches: a ring record per packet, and per-flow counts. */
const volatile bool emit_packets = true;
const volatile bool count_flows = false;
/* CLOCK_TAI (kernel 6.1+) is neither namespaced nor stopped in suspend, and
 * steps with the wall clock; without it, CLOCK_BOOTTIME. */
const volatile bool clock_tai = true;

/* With a pcap writer: each record carries up to this many bytes of the
 * packet (bytes.bpf.h); 0: the event alone, as cheap as without a writer. */
const volatile __u32 snaplen = 0;

/* A filter expression was given: sw_pcap_filter below holds it. */
const volatile bool has_filter = false;
/* Every captured device's link type (SW_LINKTYPE_*), or 0 when they differ
 * (every interface at once): then looked up per packet in linktypes. */
const volatile __u32 fixed_linktype = SW_LINKTYPE_ETHER;

/* The current generation, flipped by the sidecar through the mmapped .bss
 * (not rodata: it changes while the program runs). */
__u32 generation = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by the sidecar (--ring-size) */
} events SEC(".maps");

/* One flow table per generation; pre-allocated, so a full table is a failed
 * insert (counted as overflow), never a silent eviction. */
struct flow_table {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 65536); /* resized by the sidecar (--flow-entries) */
	__type(key, struct sw_flow_key);
	__type(value, struct sw_flow_val);
};
struct flow_table flows0 SEC(".maps");
struct flow_table flows1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SW_GENERATIONS);
	__type(key, __u32);
	__type(value, struct sw_counters);
} counters SEC(".maps");

/* ifindex → SW_LINKTYPE_* for devices that are not Ethernet-like; a device
 * not listed is Ethernet (loopback is too, on Linux). Kept by the sidecar. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SW_MAX_LINKTYPES);
	__type(key, __u32);
	__type(value, __u32);
} linktypes SEC(".maps");

/* The parser (sw_parse), shared with the file reader. */
#include "parse.h"

/*
 * The filter expression, compiled by libpcap (one program per link type) and
 * translated to eBPF by the sidecar, replaces this body before load
 * (sidecar/inject.c); nonzero: the packet matches. Global, so clang keeps its
 * signature and the verifier checks it on its own; the stub is never called
 * without a filter.
 */
__noinline int sw_pcap_filter(struct __sk_buff *skb, __u32 linktype)
{
	return skb->len + linktype;
}

/* Whether the packet passes the filter, judged on its bytes before any parsing. */
static __always_inline bool pcap_match(struct __sk_buff *skb)
{
	__u32 linktype = fixed_linktype, ifindex;
	__u32 *known;

	if (!has_filter)
		return true;
	if (!linktype) {
		ifindex = skb->ifindex;
		known = bpf_map_lookup_elem(&linktypes, &ifindex);
		linktype = known ? *known : SW_LINKTYPE_ETHER;
	}
	return sw_pcap_filter(skb, linktype) != 0;
}

/* Adds the packet to its flow in this generation's table; per-CPU values, so
 * no atomics. Returns false when the table is full: the caller counts overflow. */
static __always_inline bool count_flow(void *table, const struct sw_event *e)
{
	struct sw_flow_val *v, init;
	struct sw_flow_key k;
	/* a packet whose header stopped short of the flags byte adds none */
	__u8 has_flags = !!(e->flags & SW_EV_TCP_FLAGS);
	__u8 tcp_flags = has_flags ? e->tcp_flags : 0;
	long err;

	__builtin_memset(&k, 0, sizeof(k));
	__builtin_memcpy(k.saddr, e->saddr, 16);
	__builtin_memcpy(k.daddr, e->daddr, 16);
	k.ifindex = e->ifindex;
	if (e->flags & SW_EV_PORTS) {
		k.sport = e->sport;
		k.dport = e->dport;
	}
	if (!e->family)
		k.ethertype = e->ethertype;
	if (e->flags & SW_EV_LLC) {
		k.llc = 1;
		k.llc_dsap = e->llc_dsap;
		k.llc_ssap = e->llc_ssap;
	}
	k.family = e->family;
	k.proto = e->proto;
	k.dir = e->dir;

	v = bpf_map_lookup_elem(table, &k);
	if (!v) {
		__builtin_memset(&init, 0, sizeof(init));
		init.packets = 1;
		init.bytes = e->len;
		init.first_ns = e->ts_ns;
		init.last_ns = e->ts_ns;
		init.tcp_flags = tcp_flags;
		init.has_tcp_flags = has_flags;
		err = bpf_map_update_elem(table, &k, &init, BPF_NOEXIST);
		if (err == 0)
			return true;
		if (err != -17) /* not EEXIST: the table is full (E2BIG) */
			return false;
		/* another CPU made it first: add to our CPU's share */
		v = bpf_map_lookup_elem(table, &k);
		if (!v)
			return false;
	}
	if (!v->first_ns)
		v->first_ns = e->ts_ns;
	v->packets++;
	v->bytes += e->len;
	v->last_ns = e->ts_ns;
	v->tcp_flags |= tcp_flags;
	v->has_tcp_flags |= has_flags;
	return true;
}

#include "owner.bpf.h"
#include "owner_fentry.bpf.h"
#include "bytes.bpf.h"

SEC("socket")
int sockwatch(struct __sk_buff *skb)
{
	struct sw_counters *cnt;
	struct sw_event e;
	__u64 flags, lost;
	__u32 gen;
	long err;

	if (test_reject)
		return *(int *)(long)skb->len; /* a scalar used as a pointer */

	/* Loopback hands every packet to taps twice, going out and coming in;
	 * keep only the incoming copy, as libpcap does. */
	if (skb->pkt_type == PACKET_OUTGOING && skb->ifindex == loopback_ifindex)
		return 0;

	/* Read once: this packet's counts, record and flow all go to this
	 * generation, which the sidecar reads only after every run that could
	 * have seen it has ended. */
	gen = generation & 1;
	cnt = bpf_map_lookup_elem(&counters, &gen);
	if (!cnt)
		return 0;
	cnt->seen++;
	/* the filter runs on the bytes, before any parsing: a packet it
	 * rejects costs nothing more */
	if (!pcap_match(skb))
		return 0;

	/* Ring-buffer memory is not zeroed: build the whole event here. */
	__builtin_memset(&e, 0, sizeof(e));
	e.ts_ns = clock_tai ? bpf_ktime_get_tai_ns() : bpf_ktime_get_boot_ns();
	e.ifindex = skb->ifindex;
	e.len = skb->len;
	e.dir = skb->pkt_type == PACKET_OUTGOING ? SW_DIR_OUT : SW_DIR_IN;
	sw_parse(skb, &e);
	/* whose packet: after the parse, which found the tuple it is looked up by */
	/* (a pid past any pid_max would be the kernel's mistake: a check the
	 * compiler cannot drop, so the subprogram's result is kept) */
	if (owner_resolve(&e, skb->ifindex == loopback_ifindex) > 0x3fffffff || !proc_match(&e))
		return 0;

	cnt->matched++;
	cnt->matched_bytes += e.len;
	if (count_flows) {
		lost = !(gen ? count_flow(&flows1, &e) : count_flow(&flows0, &e));
		/* branch-free, for the reason below */
		cnt->overflow += lost;
		cnt->overflow_bytes += lost * e.len;
	}
	if (!emit_packets)
		return 0;
	/* Past a fill level, wake the reader now. Otherwise the kernel's own
	 * rule (flags 0): a wake-up only if the reader had taken everything
	 * before this record, i.e. the first record after it went idle. While
	 * it batches (drains every --poll-ms) it lags, and nothing wakes it; with
	 * no packets, nothing does either. The kernel checks the reader's
	 * position after committing the record, so no record is left unseen. */
	flags = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes ? BPF_RB_FORCE_WAKEUP : 0;
	/* Branch-free on purpose: as an if/else, clang picks the counter by
	 * pointer arithmetic, which the verifier refuses without CAP_PERFMON
	 * (the setcap cap_bpf,cap_net_raw route). */
	if (snaplen)
		err = !emit_with_bytes(skb, &e, snaplen, flags);
	else
		err = bpf_ringbuf_output(&events, &e, sizeof(e), flags);
	cnt->emitted += !err;
	cnt->dropped += !!err;
	return 0;
}
