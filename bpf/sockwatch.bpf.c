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

#define IP_MF     0x2000
#define IP_OFFSET 0x1fff
#define IP6_OFFSET 0xfff8
#define IP6_MF     0x0001
#define MAX_VLAN_TAGS 2
#define MAX_IP6_EXT   8

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

/* Set by the sidecar from --clause flags; frozen, so the verifier drops the
 * filter code entirely when there are no clauses. */
const volatile struct sw_filter filter = {};

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

/* Where layer 3 starts: relative to the network header when the stack set it
 * for us, or to the link-layer header when VLAN tags are still in the data. */
struct cursor {
	__u32 base; /* BPF_HDR_START_NET or BPF_HDR_START_MAC */
	__u32 off;
};

#define LOAD(skb, c, at, to) \
	bpf_skb_load_bytes_relative(skb, (c)->off + (at), to, sizeof(*(to)), (c)->base)

/* Returns the layer-3 ethertype and leaves the cursor at the layer-3 header. */
static __always_inline __u16 parse_l2(struct __sk_buff *skb, struct sw_event *e,
				      struct cursor *c)
{
	__u16 proto = bpf_ntohs((__u16)skb->protocol);
	__be16 tag[2]; /* TCI, next ethertype */
	__be16 tpid;
	int i;

	/* The receive path usually has moved the outer tag into skb metadata;
	 * count its 4 bytes in the length, as libpcap does. */
	if (skb->vlan_present) {
		e->flags |= SW_EV_VLAN;
		e->vlan = skb->vlan_tci & 0x0fff;
		e->len += 4;
	}
	c->base = BPF_HDR_START_NET;
	c->off = 0;
	if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
		return proto;

	/* Tags still in the data: walk them from the Ethernet header. */
	c->base = BPF_HDR_START_MAC;
	c->off = 12;
	for (i = 0; i < MAX_VLAN_TAGS; i++) {
		if (LOAD(skb, c, 0, &tpid) < 0)
			goto trunc;
		proto = bpf_ntohs(tpid);
		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if (LOAD(skb, c, 2, &tag) < 0)
			goto trunc;
		if (!(e->flags & SW_EV_VLAN)) {
			e->flags |= SW_EV_VLAN;
			e->vlan = bpf_ntohs(tag[0]) & 0x0fff;
		}
		c->off += 4;
	}
	if (LOAD(skb, c, 0, &tpid) < 0)
		goto trunc;
	c->off += 2;
	return bpf_ntohs(tpid);
trunc:
	e->flags |= SW_EV_TRUNC;
	return 0;
}

static __always_inline void parse_l4(struct __sk_buff *skb, struct sw_event *e,
				     struct cursor *c, __u32 off)
{
	switch (e->proto) {
	case IPPROTO_TCP: {
		__u8 th[14];

		if (LOAD(skb, c, off, &th) < 0)
			goto trunc;
		e->sport = (__u16)th[0] << 8 | th[1];
		e->dport = (__u16)th[2] << 8 | th[3];
		e->tcp_flags = th[13];
		e->flags |= SW_EV_PORTS;
		return;
	}
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP: {
		__be16 ports[2];

		if (LOAD(skb, c, off, &ports) < 0)
			goto trunc;
		e->sport = bpf_ntohs(ports[0]);
		e->dport = bpf_ntohs(ports[1]);
		e->flags |= SW_EV_PORTS;
		return;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		__u8 tc[2];

		if (LOAD(skb, c, off, &tc) < 0)
			goto trunc;
		e->icmp_type = tc[0];
		e->icmp_code = tc[1];
		e->flags |= SW_EV_ICMP;
		return;
	}
	default:
		return; /* addresses, protocol and length are all there is */
	}
trunc:
	e->flags |= SW_EV_TRUNC;
}

static __always_inline void parse_ipv4(struct __sk_buff *skb, struct sw_event *e,
				       struct cursor *c)
{
	struct iphdr ip;
	__u16 frag;

	if (LOAD(skb, c, 0, &ip) < 0 || ip.version != 4 || ip.ihl < 5) {
		e->flags |= SW_EV_TRUNC;
		return;
	}
	e->family = 4;
	e->proto = ip.protocol;
	__builtin_memcpy(e->saddr, &ip.saddr, 4);
	__builtin_memcpy(e->daddr, &ip.daddr, 4);
	frag = bpf_ntohs(ip.frag_off);
	if (frag & (IP_MF | IP_OFFSET)) {
		e->flags |= SW_EV_FRAG;
		if (frag & IP_OFFSET) {
			/* later fragments carry no transport header */
			e->flags |= SW_EV_FRAG_LATER;
			return;
		}
	}
	parse_l4(skb, e, c, ip.ihl * 4);
}

static __always_inline bool ip6_ext(__u8 next)
{
	return next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING || next == IPPROTO_DSTOPTS ||
	       next == IPPROTO_FRAGMENT || next == IPPROTO_AH;
}

static __always_inline void parse_ipv6(struct __sk_buff *skb, struct sw_event *e,
				       struct cursor *c)
{
	struct ipv6hdr ip6;
	__u32 off = sizeof(ip6);
	__u8 next;
	int i;

	if (LOAD(skb, c, 0, &ip6) < 0 || ip6.version != 6) {
		e->flags |= SW_EV_TRUNC;
		return;
	}
	e->family = 6;
	__builtin_memcpy(e->saddr, &ip6.saddr, 16);
	__builtin_memcpy(e->daddr, &ip6.daddr, 16);
	next = ip6.nexthdr;

	/* Few branches per step: the verifier (above all without CAP_PERFMON)
	 * must walk every path of this loop. */
	for (i = 0; i < MAX_IP6_EXT && ip6_ext(next); i++) {
		__u8 h[4]; /* next header, length or reserved, fragment offset + flags */
		__u8 cur = next;

		if (LOAD(skb, c, off, &h) < 0) {
			e->proto = cur;
			e->flags |= SW_EV_TRUNC;
			return;
		}
		next = h[0];
		if (cur == IPPROTO_FRAGMENT) {
			__u16 frag = (__u16)h[2] << 8 | h[3];

			off += 8;
			if (frag & (IP6_OFFSET | IP6_MF))
				e->flags |= SW_EV_FRAG;
			if (frag & IP6_OFFSET) {
				e->proto = next;
				e->flags |= SW_EV_FRAG_LATER;
				return;
			}
		} else {
			off += cur == IPPROTO_AH ? ((__u32)h[1] + 2) * 4 : ((__u32)h[1] + 1) * 8;
		}
	}
	e->proto = next;
	parse_l4(skb, e, c, off);
}

static __always_inline bool addr_match(const volatile struct sw_literal *l, const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;

	return (w[0] & l->mask[0]) == l->addr[0] && (w[1] & l->mask[1]) == l->addr[1] &&
	       (w[2] & l->mask[2]) == l->addr[2] && (w[3] & l->mask[3]) == l->addr[3];
}

static __always_inline bool port_in(const volatile struct sw_literal *l, __u16 port)
{
	return port >= l->lo && port <= l->hi;
}

/* One literal, with exactly the semantics of the CLI's predicate (src/filter/). */
static __always_inline bool literal_match(const volatile struct sw_literal *l,
					  const struct sw_event *e)
{
	bool ports = e->flags & SW_EV_PORTS;
	bool r;

	switch (l->kind) {
	case SW_LIT_DIR:
		r = e->dir == l->value;
		break;
	case SW_LIT_IFINDEX:
		r = e->ifindex == l->value;
		break;
	case SW_LIT_FAMILY:
		r = e->family == l->value;
		break;
	case SW_LIT_PROTO:
		r = e->family && e->proto == l->value;
		break;
	case SW_LIT_SRC:
		r = e->family == l->family && addr_match(l, e->saddr);
		break;
	case SW_LIT_DST:
		r = e->family == l->family && addr_match(l, e->daddr);
		break;
	case SW_LIT_HOST:
		r = e->family == l->family && (addr_match(l, e->saddr) || addr_match(l, e->daddr));
		break;
	case SW_LIT_SPORT:
		r = ports && port_in(l, e->sport);
		break;
	case SW_LIT_DPORT:
		r = ports && port_in(l, e->dport);
		break;
	case SW_LIT_PORT:
		r = ports && (port_in(l, e->sport) || port_in(l, e->dport));
		break;
	default:
		r = false;
	}
	return r != l->negate;
}

static __always_inline bool filter_match(const struct sw_event *e)
{
	if (filter.n == 0)
		return true;
	/* Unrolled so every literal sits at a constant offset: a variable
	 * offset into rodata is pointer arithmetic the verifier refuses
	 * without CAP_PERFMON. The frozen rodata lets it drop unused slots. */
#pragma unroll
	for (int c = 0; c < SW_MAX_CLAUSES; c++) {
		bool all = c < filter.n;

#pragma unroll
		for (int i = 0; i < SW_MAX_LITERALS; i++) {
			if (all && i < filter.clause[c].n)
				all = literal_match(&filter.clause[c].lit[i], e);
		}
		if (all)
			return true;
	}
	return false;
}

/* Adds the packet to its flow in this generation's table; per-CPU values, so
 * no atomics. Returns false when the table is full: the caller counts overflow. */
static __always_inline bool count_flow(void *table, const struct sw_event *e)
{
	struct sw_flow_val *v, init;
	struct sw_flow_key k;
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
	k.family = e->family;
	k.proto = e->proto;
	k.dir = e->dir;

	v = bpf_map_lookup_elem(table, &k);
	if (!v) {
		init.packets = 1;
		init.bytes = e->len;
		init.first_ns = e->ts_ns;
		init.last_ns = e->ts_ns;
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
	return true;
}

SEC("socket")
int sockwatch(struct __sk_buff *skb)
{
	struct sw_counters *cnt;
	struct sw_event e;
	struct cursor c;
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

	/* Ring-buffer memory is not zeroed: build the whole event here. */
	__builtin_memset(&e, 0, sizeof(e));
	e.ts_ns = clock_tai ? bpf_ktime_get_tai_ns() : bpf_ktime_get_boot_ns();
	e.ifindex = skb->ifindex;
	e.len = skb->len;
	e.dir = skb->pkt_type == PACKET_OUTGOING ? SW_DIR_OUT : SW_DIR_IN;
	e.ethertype = parse_l2(skb, &e, &c);
	if (e.ethertype == ETH_P_IP)
		parse_ipv4(skb, &e, &c);
	else if (e.ethertype == ETH_P_IPV6)
		parse_ipv6(skb, &e, &c);

	if (!filter_match(&e))
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
	err = bpf_ringbuf_output(&events, &e, sizeof(e), flags);
	cnt->emitted += !err;
	cnt->dropped += !!err;
	return 0;
}
