/* SPDX-License-Identifier: MIT */
/*
 * The packet parser: headers -> struct sw_event. One source, compiled twice:
 * into the socket filter (bpf/sockwatch.bpf.c), and into the file reader
 * (sidecar/read/), so a packet decodes the same way live and from a file.
 * Everything is read through LOAD; only the two environments differ:
 *   BPF:        struct sw_skb is the kernel's __sk_buff, LOAD is
 *               bpf_skb_load_bytes, and has_ethernet() looks at the skb;
 *   user space: struct sw_skb is a packet's bytes and what the file says about
 *               it, LOAD a bounds-checked memcpy, and the file's link type says
 *               whether an Ethernet header comes first.
 * Include it once per program (its global functions are defined here).
 */
#ifndef SW_PARSE_H
#define SW_PARSE_H

#define IP_MF     0x2000
#define IP_OFFSET 0x1fff
#define IP6_OFFSET 0xfff8
#define IP6_MF     0x0001

#ifdef __bpf__

/*
 * The parser reads with bpf_skb_load_bytes, relative to skb->data, so headers
 * in paged data (a large frame from a packet socket) are read like any other.
 * On a device with a link-layer header a packet socket sees the frame from
 * that header on; on one without (tun, ipip) from the IP header.
 */
#define sw_skb __sk_buff
#define LOAD(skb, at, to) bpf_skb_load_bytes(skb, at, to, sizeof(*(to)))

/* Whether the frame starts with an Ethernet header. The network header's first
 * bytes equal the data's when there is no link-layer header; so they do, too,
 * when a packet socket sent the frame (the stack then points the network
 * header at the frame's start), but then the type field in the data is the
 * frame's protocol. Received frames have their network header set past the
 * link-layer header, so there equal bytes mean no such header. A network
 * header in paged data has a link-layer header in front of it (the linear
 * part is at least that header). Left ambiguous: a packet sent out of a
 * device without a link-layer header whose IPv4 source starts 8.0. */
static __always_inline bool has_ethernet(struct sw_skb *skb, const __u8 *d)
{
	__u16 proto = bpf_ntohs((__u16)skb->protocol);
	__u16 type = (__u16)d[12] << 8 | d[13];
	__u8 n[14];
	int i;

	if (bpf_skb_load_bytes_relative(skb, 0, n, sizeof(n), BPF_HDR_START_NET) < 0)
		return true;
	for (i = 0; i < 14; i++)
		if (n[i] != d[i])
			return true;
	if (skb->pkt_type != PACKET_OUTGOING)
		return false;
	/* Linux's names for 802.3 frames: ETH_P_802_3, ETH_P_802_2 */
	return type == proto || (type < 0x0600 && (proto == 0x0001 || proto == 0x0004));
}

#else /* user space */

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <netinet/in.h> /* before the linux/ headers: glibc's in6 definitions win */
#include <linux/types.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include "sockwatch.h"

/* "#pragma unroll" is for clang's BPF backend; gcc's loops need no help */
#pragma GCC diagnostic ignored "-Wunknown-pragmas"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#ifndef __noinline
#define __noinline __attribute__((noinline))
#endif

/* What the parser reads of a packet: the fields of __sk_buff it uses. */
struct sw_skb {
	const __u8 *data; /* from the link-layer header, or the IP header (has_eth false) */
	__u32 caplen;     /* bytes at data: what the file holds */
	__u32 len;        /* the packet's length from data on, as it was on the wire */
	__u32 protocol;   /* the ethertype, network order (as skb->protocol) */
	__u32 pkt_type;   /* PACKET_*: only PACKET_OUTGOING matters */
	__u32 ifindex;
	__u32 vlan_present; /* a tag the capture took out of the frame (SLL) */
	__u32 vlan_tci;
	bool has_eth;     /* from the file's link type */
};

/* bpf_skb_load_bytes over a buffer: the whole range or nothing. */
static inline int sw_load(const struct sw_skb *skb, __u32 at, void *to, __u32 n)
{
	if (at > skb->caplen || n > skb->caplen - at)
		return -EFAULT;
	memcpy(to, skb->data + at, n);
	return 0;
}
#define LOAD(skb, at, to) sw_load(skb, at, to, sizeof(*(to)))

static inline bool has_ethernet(const struct sw_skb *skb, const __u8 *d)
{
	(void)d;
	return skb->has_eth;
}

#endif

static __always_inline bool is_vlan_tpid(__u16 t)
{
	return t == ETH_P_8021Q || t == ETH_P_8021AD || t == 0x9100; /* 0x9100: pre-802.1ad QinQ */
}

/* Returns the layer-3 ethertype and sets *off to where layer 3 starts. */
static __always_inline __u16 parse_l2(struct sw_skb *skb, struct sw_event *e, __u32 *off)
{
	__u8 d[14];
	__be16 tag[2]; /* TCI, next type */
	__u16 type;
	int i, max = SW_MAX_VLAN_TAGS;

	*off = 0;
	if (LOAD(skb, 0, &d) < 0 || !has_ethernet(skb, d)) {
		/* no link-layer header (or a frame shorter than one) */
		return bpf_ntohs((__u16)skb->protocol);
	}
	e->flags |= SW_EV_ETH;
	__builtin_memcpy(e->dmac, d, 6);
	__builtin_memcpy(e->smac, d + 6, 6);
	type = (__u16)d[12] << 8 | d[13];
	*off = 12;

	/* The receive path usually has moved the outer tag into skb metadata;
	 * count its 4 bytes in the length, as libpcap does. */
	if (skb->vlan_present) {
		e->flags |= SW_EV_VLAN;
		e->vlan = skb->vlan_tci & 0x0fff;
		e->len += 4;
		max--;
	}
	/* unrolled: a rotated loop's exit test is one the verifier cannot bound */
#pragma unroll
	for (i = 0; i < SW_MAX_VLAN_TAGS; i++) {
		if (!is_vlan_tpid(type))
			break;
		if (i == max) {
			e->reason = SW_WHY_VLAN_TAGS;
			return type;
		}
		if (LOAD(skb, *off + 2, &tag) < 0)
			goto trunc;
		if (!(e->flags & SW_EV_VLAN)) {
			e->flags |= SW_EV_VLAN;
			e->vlan = bpf_ntohs(tag[0]) & 0x0fff;
		}
		type = bpf_ntohs(tag[1]);
		*off += 4;
	}
	if (is_vlan_tpid(type)) {
		e->reason = SW_WHY_VLAN_TAGS;
		return type;
	}
	*off += 2;
	if (type < 0x0600) {
		/* 802.3: a length, then an LLC header (DSAP, SSAP, control) */
		__u8 sap[2];

		e->flags |= SW_EV_LLC;
		if (LOAD(skb, *off, &sap) < 0)
			goto trunc;
		e->llc_dsap = sap[0];
		e->llc_ssap = sap[1];
		return 0;
	}
	return type;
trunc:
	e->flags |= SW_EV_TRUNC;
	return 0;
}

/* The datagram an ICMP error quotes: where it was going, and to which port.
 * at: the quoted IP header; end: the end of the ICMP message. */
static __always_inline void parse_inner(struct sw_skb *skb, struct sw_event *e, __u32 at, __u32 end)
{
	__u32 l4;
	__be16 ports[2];
	__u8 proto;

	if (e->family == 4) {
		struct iphdr ip;

		if (at + sizeof(ip) > end || LOAD(skb, at, &ip) < 0 || ip.version != 4 || ip.ihl < 5)
			return;
		__builtin_memcpy(e->inner_daddr, &ip.daddr, 4);
		proto = ip.protocol;
		l4 = at + ip.ihl * 4;
		if (bpf_ntohs(ip.frag_off) & IP_OFFSET)
			l4 = end; /* a later fragment: no ports */
	} else {
		struct ipv6hdr ip6;

		if (at + sizeof(ip6) > end || LOAD(skb, at, &ip6) < 0 || ip6.version != 6)
			return;
		__builtin_memcpy(e->inner_daddr, &ip6.daddr, 16);
		proto = ip6.nexthdr;
		l4 = at + sizeof(ip6);
	}
	e->inner_proto = proto;
	e->flags |= SW_EV_INNER;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != IPPROTO_SCTP &&
	    proto != IPPROTO_DCCP && proto != IPPROTO_UDPLITE)
		return;
	if (l4 + sizeof(ports) > end || LOAD(skb, l4, &ports) < 0)
		return;
	e->inner_dport = bpf_ntohs(ports[1]);
	e->flags |= SW_EV_INNER_PORT;
}

static __always_inline bool icmp_error(__u8 family, __u8 type)
{
	if (family == 4)
		return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
	return type >= 1 && type <= 4;
}

/* off: the transport header; avail: the bytes of the datagram from there,
 * already bounded by what the frame holds. */
static __always_inline void parse_l4(struct sw_skb *skb, struct sw_event *e, __u32 off, __u32 avail)
{
	e->flags |= SW_EV_PAYLEN;
	e->paylen = avail;
	switch (e->proto) {
	case IPPROTO_TCP: {
		__be16 ports[2];
		__u8 th[2]; /* data offset, flags */
		__u32 hlen;

		/* ports first: a 4-13 byte header (a tiny first fragment) keeps them */
		if (avail < 4 || LOAD(skb, off, &ports) < 0)
			goto trunc;
		e->sport = bpf_ntohs(ports[0]);
		e->dport = bpf_ntohs(ports[1]);
		e->flags |= SW_EV_PORTS;
		if (avail < 14 || LOAD(skb, off + 12, &th) < 0)
			goto trunc;
		hlen = (th[0] >> 4) * 4;
		if (hlen < 20) {
			/* no header to take flags from, as tcpdump and tshark see it */
			e->reason = SW_WHY_TCP_HEADER_LENGTH;
			return;
		}
		e->tcp_flags = th[1];
		e->flags |= SW_EV_TCP_FLAGS;
		e->paylen = hlen <= avail ? avail - hlen : 0;
		return;
	}
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP: {
		__be16 h[4]; /* ports, then UDP's length */
		__u32 ulen;

		if (avail < 4 || LOAD(skb, off, &h[0]) < 0 || LOAD(skb, off + 2, &h[1]) < 0)
			goto trunc;
		e->sport = bpf_ntohs(h[0]);
		e->dport = bpf_ntohs(h[1]);
		e->flags |= SW_EV_PORTS;
		if (e->proto != IPPROTO_UDP)
			return;
		if (avail < 8 || LOAD(skb, off + 4, &h[2]) < 0)
			goto trunc;
		/* tcpdump's length: the UDP length's payload, within the datagram */
		ulen = bpf_ntohs(h[2]);
		if (ulen > avail)
			ulen = avail;
		e->paylen = ulen >= 8 ? ulen - 8 : 0;
		return;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6: {
		__u8 tc[2];

		if (avail < 2 || LOAD(skb, off, &tc) < 0)
			goto trunc;
		e->icmp_type = tc[0];
		e->icmp_code = tc[1];
		e->flags |= SW_EV_ICMP;
		if (icmp_error(e->family, tc[0]))
			parse_inner(skb, e, off + 8, off + avail);
		else if (e->family == 6 && (tc[0] == 135 || tc[0] == 136) && avail >= 24 &&
			 LOAD(skb, off + 8, &e->inner_daddr) == 0)
			e->flags |= SW_EV_ND; /* neighbor discovery: the target address */
		return;
	}
	default:
		return; /* addresses, protocol and length are all there is */
	}
trunc:
	e->flags |= SW_EV_TRUNC;
}

/* off: the IP header; frame: the bytes from there to the frame's end. */
static __always_inline void parse_ipv4(struct sw_skb *skb, struct sw_event *e, __u32 off, __u32 frame)
{
	struct iphdr ip;
	__u32 hlen, tot;
	__u16 frag;

	if (LOAD(skb, off, &ip) < 0) {
		e->flags |= SW_EV_TRUNC;
		return;
	}
	if (ip.version != 4) {
		e->reason = SW_WHY_IP_VERSION;
		return;
	}
	if (ip.ihl < 5) {
		e->reason = SW_WHY_IP_HEADER_LENGTH;
		return;
	}
	hlen = ip.ihl * 4;
	tot = bpf_ntohs(ip.tot_len);
	if (tot == 0)
		tot = frame; /* a TSO send, as tcpdump guesses */
	if (tot < hlen) {
		e->reason = SW_WHY_IP_TOTAL_LENGTH;
		return;
	}
	e->family = 4;
	e->proto = ip.protocol;
	__builtin_memcpy(e->saddr, &ip.saddr, 4);
	__builtin_memcpy(e->daddr, &ip.daddr, 4);
	if (tot > frame) {
		/* the datagram is longer than the frame: read what is there */
		e->flags |= SW_EV_TRUNC;
		tot = frame;
		if (tot < hlen)
			return;
	}
	frag = bpf_ntohs(ip.frag_off);
	if (frag & (IP_MF | IP_OFFSET)) {
		e->flags |= SW_EV_FRAG;
		if (frag & IP_OFFSET) {
			/* later fragments carry no transport header */
			e->flags |= SW_EV_FRAG_LATER | SW_EV_PAYLEN;
			e->paylen = tot - hlen;
			return;
		}
	}
	parse_l4(skb, e, off + hlen, tot - hlen);
}

static __always_inline bool ip6_ext(__u8 next)
{
	return next == IPPROTO_HOPOPTS || next == IPPROTO_ROUTING || next == IPPROTO_DSTOPTS ||
	       next == IPPROTO_FRAGMENT || next == IPPROTO_AH;
}

/* One step of the IPv6 extension-header walk. */
struct ip6_walk {
	__u32 off;    /* the IPv6 header, in the frame */
	__u32 at;     /* the current header, from the IPv6 header */
	__u32 end;    /* the datagram's end, from the IPv6 header */
	__u32 paylen; /* a later fragment: its payload */
	__u16 flags;  /* SW_EV_* this step adds */
	__u8 next;    /* the current header's type; then the next one's */
	__u8 pad;
};

/* Steps over the header at w->at; returns 1 when the walk ends here (a later
 * fragment, or the bytes ran out). A global function, verified once: a loop
 * of inlined steps makes the verifier follow every path through every step,
 * more than it allows without CAP_PERFMON. */
__noinline int sw_ip6_ext(struct sw_skb *skb, struct ip6_walk *w)
{
	__u8 h[4]; /* next header, length or reserved, fragment offset + flags */
	__u8 cur;

	if (!w)
		return 1;
	cur = w->next;
	if (w->at + 8 > w->end || w->at > 0xffff ||
	    LOAD(skb, w->off + w->at, &h) < 0) {
		w->flags |= SW_EV_TRUNC;
		return 1;
	}
	w->next = h[0];
	if (cur == IPPROTO_FRAGMENT) {
		__u16 frag = (__u16)h[2] << 8 | h[3];

		w->at += 8;
		if (frag & (IP6_OFFSET | IP6_MF))
			w->flags |= SW_EV_FRAG;
		if (frag & IP6_OFFSET) {
			/* later fragments carry no transport header */
			w->flags |= SW_EV_FRAG_LATER | SW_EV_PAYLEN;
			w->paylen = w->end > w->at ? w->end - w->at : 0;
			return 1;
		}
		return 0;
	}
	w->at += cur == IPPROTO_AH ? ((__u32)h[1] + 2) * 4 : ((__u32)h[1] + 1) * 8;
	return 0;
}

static __always_inline void parse_ipv6(struct sw_skb *skb, struct sw_event *e, __u32 off, __u32 frame)
{
	struct ipv6hdr ip6;
	struct ip6_walk w = {};
	int i;

	if (LOAD(skb, off, &ip6) < 0) {
		e->flags |= SW_EV_TRUNC;
		return;
	}
	if (ip6.version != 6) {
		e->reason = SW_WHY_IP_VERSION;
		return;
	}
	e->family = 6;
	__builtin_memcpy(e->saddr, &ip6.saddr, 16);
	__builtin_memcpy(e->daddr, &ip6.daddr, 16);
	w.off = off;
	w.at = sizeof(ip6);
	w.next = ip6.nexthdr;
	/* payload length 0: a jumbogram or a BIG TCP send; take the frame's */
	w.end = ip6.payload_len ? sizeof(ip6) + bpf_ntohs(ip6.payload_len) : frame;
	if (w.end > frame) {
		e->flags |= SW_EV_TRUNC;
		w.end = frame;
	}
	/* unrolled: each step is one call, and the verifier walks each once */
#pragma unroll
	for (i = 0; i < SW_MAX_IP6_EXT; i++) {
		__u8 cur = w.next;

		if (!ip6_ext(cur))
			break;
		if (sw_ip6_ext(skb, &w)) {
			/* truncated: the header that did not fit; a later fragment: what it carries */
			e->proto = w.flags & SW_EV_TRUNC ? cur : w.next;
			e->flags |= w.flags;
			e->paylen = w.paylen;
			return;
		}
	}
	e->flags |= w.flags;
	e->proto = w.next;
	if (ip6_ext(w.next)) {
		e->reason = SW_WHY_IP6_HEADERS;
		return;
	}
	if (w.at > w.end || w.at > 0xffff) {
		e->flags |= SW_EV_TRUNC;
		return;
	}
	parse_l4(skb, e, off + w.at, w.end - w.at);
}

/* Ethernet/IPv4 ARP: opcode, sender and target addresses. */
static __always_inline void parse_arp(struct sw_skb *skb, struct sw_event *e, __u32 off)
{
	__u8 a[28];

	if (LOAD(skb, off, &a) < 0) {
		e->flags |= SW_EV_TRUNC;
		return;
	}
	/* htype 1 (Ethernet), ptype 0x0800, hlen 6, plen 4 */
	if (a[0] != 0 || a[1] != 1 || a[2] != 8 || a[3] != 0 || a[4] != 6 || a[5] != 4)
		return;
	e->flags |= SW_EV_ARP;
	e->sport = (__u16)a[6] << 8 | a[7];
	__builtin_memcpy(e->saddr, a + 14, 4);
	__builtin_memcpy(e->saddr + 4, a + 8, 6);
	__builtin_memcpy(e->daddr, a + 24, 4);
	__builtin_memcpy(e->daddr + 4, a + 18, 6);
}

/* Decodes the headers into e. A global function, verified once on its own: to
 * the caller, what it writes is unknown, so the filter and flow code after it
 * are verified for one state instead of one per parse path (without
 * CAP_PERFMON the product is too many for the verifier). */
__noinline int sw_parse(struct sw_skb *skb, struct sw_event *e)
{
	__u32 off, frame;

	if (!e)
		return 0;
	e->ethertype = parse_l2(skb, e, &off);
	frame = skb->len > off ? skb->len - off : 0;
	if (e->flags & SW_EV_LLC) {
		e->flags |= SW_EV_PAYLEN;
		e->paylen = frame;
	}
	if (e->reason || e->flags & (SW_EV_TRUNC | SW_EV_LLC))
		return 0;
	if (e->ethertype == ETH_P_IP) {
		parse_ipv4(skb, e, off, frame);
	} else if (e->ethertype == ETH_P_IPV6) {
		parse_ipv6(skb, e, off, frame);
	} else {
		if (e->ethertype == ETH_P_ARP)
			parse_arp(skb, e, off);
		e->flags |= SW_EV_PAYLEN;
		e->paylen = frame;
	}
	return 0;
}

#endif /* SW_PARSE_H */
