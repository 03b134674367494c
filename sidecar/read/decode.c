// SPDX-License-Identifier: MIT
/*
 * The user-space side of the one parser: each link type a file can have is
 * turned into what the kernel program would have seen on a Linux device
 * (bpf/parse.h's struct sw_skb), then sw_parse decodes it as it does live.
 * Cooked headers (Linux SLL and SLL2, as `tcpdump -i any` writes; BSD
 * loopback) are not frames a device sends: the parser starts after them, and
 * len counts the Ethernet header the device had instead (docs/reading-files.md).
 */
#include <arpa/inet.h>
#include <string.h>
#include "parse.h" /* defines sw_parse: included here only */
#include "decode.h"

#define ARPHRD_ETHER_ 1
#define ARPHRD_LOOPBACK_ 772
#define SLL_HDR 16
#define SLL2_HDR 20

bool decode_link_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_NULL:
	case DLT_LOOP:
		return true;
	default:
		return false;
	}
}

static __u16 rd16(const __u8 *p)
{
	return (__u16)p[0] << 8 | p[1];
}

/* The ethertype of a raw IP packet, from its version. */
static __u16 ip_ethertype(const __u8 *p, __u32 caplen)
{
	if (!caplen)
		return 0;
	return p[0] >> 4 == 6 ? ETH_P_IPV6 : p[0] >> 4 == 4 ? ETH_P_IP : 0;
}

/* Direction from a Linux packet type (SLL, SLL2). */
static __u8 pkt_dir(__u16 pkt_type)
{
	return pkt_type == PACKET_OUTGOING ? SW_DIR_OUT : SW_DIR_IN;
}

void decode_packet(int dlt, const struct pcap_pkthdr *h, const __u8 *bytes, __u8 dir_known,
		   struct sw_event *e, __u32 *skip, __u8 *scratch)
{
	struct sw_skb skb = { .data = bytes, .caplen = h->caplen, .len = h->len, .pkt_type = PACKET_HOST };
	__u32 hdr = 0;
	__u16 hatype = 0, proto = 0;

	memset(e, 0, sizeof(*e));
	e->dir = dir_known;
	switch (dlt) {
	case DLT_EN10MB:
		skb.has_eth = true;
		if (h->caplen >= 14)
			proto = rd16(bytes + 12);
		break;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		proto = dlt == DLT_IPV4 ? ETH_P_IP : dlt == DLT_IPV6 ? ETH_P_IPV6 : ip_ethertype(bytes, h->caplen);
		break;
	case DLT_LINUX_SLL:
		hdr = SLL_HDR;
		if (h->caplen >= SLL_HDR) {
			e->dir = pkt_dir(rd16(bytes));
			hatype = rd16(bytes + 2);
			proto = rd16(bytes + 14);
		}
		break;
	case DLT_LINUX_SLL2:
		hdr = SLL2_HDR;
		if (h->caplen >= SLL2_HDR) {
			proto = rd16(bytes);
			e->ifindex = (__u32)bytes[4] << 24 | (__u32)bytes[5] << 16 | (__u32)bytes[6] << 8 | bytes[7];
			hatype = rd16(bytes + 8);
			e->dir = pkt_dir(bytes[10]);
		}
		break;
	case DLT_NULL:
	case DLT_LOOP: {
		__u32 af = 0;

		hdr = 4;
		if (h->caplen >= 4)
			memcpy(&af, bytes, 4);
		/* NULL: the writer's byte order; LOOP: network order */
		if (af > 0xffff)
			af = __builtin_bswap32(af);
		proto = af == 2 ? ETH_P_IP : (af == 10 || af == 24 || af == 28 || af == 30) ? ETH_P_IPV6 : 0;
		break;
	}
	}
	if (hdr) {
		hdr = hdr < h->caplen ? hdr : h->caplen;
		skb.data = bytes + hdr;
		skb.caplen = h->caplen - hdr;
		skb.len = h->len > hdr ? h->len - hdr : 0;
	}
	skb.protocol = htons(proto);
	if (hatype == ARPHRD_ETHER_ || hatype == ARPHRD_LOOPBACK_) {
		/* The device had an Ethernet header, which the cooked one replaced:
		 * put one back (addresses unknown, the type the cooked header
		 * gives, or a length for 802.3), so the parser walks VLAN tags
		 * (libpcap writes them back in the data) and LLC as it does live. */
		__u32 n = skb.caplen < DECODE_SCRATCH - 14 ? skb.caplen : DECODE_SCRATCH - 14;
		__u16 type = proto == ETH_P_802_2 || proto == ETH_P_802_3 ? (skb.len < 0x600 ? skb.len : 0x5ff) : proto;

		memset(scratch, 0, 12);
		scratch[12] = type >> 8;
		scratch[13] = type & 0xff;
		memcpy(scratch + 14, skb.data, n);
		skb.data = scratch;
		skb.caplen = n + 14;
		skb.len += 14;
		skb.has_eth = true;
	}
	e->len = skb.len;
	sw_parse(&skb, e);
	if (hdr)
		e->flags &= ~SW_EV_ETH; /* no MAC addresses: the file never had them */
	*skip = hdr;
}
