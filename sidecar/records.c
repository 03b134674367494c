// SPDX-License-Identifier: MIT
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "records.h"

#define IFCACHE_SIZE 4096

static int64_t clock_offset_ns;
static char ifnames[IFCACHE_SIZE][IF_NAMESIZE];

void rec_set_clock_offset(int64_t realtime_minus_mono_ns)
{
	clock_offset_ns = realtime_minus_mono_ns;
}

static const char *ifname(unsigned int ifindex)
{
	static char other[IF_NAMESIZE];
	char *name = ifindex < IFCACHE_SIZE ? ifnames[ifindex] : other;

	if (ifindex < IFCACHE_SIZE && name[0])
		return name;
	/* a deleted interface keeps a name that says so */
	if (!if_indextoname(ifindex, name))
		snprintf(name, IF_NAMESIZE, "if%u", ifindex);
	return name;
}

static const char *ip_proto_name(uint8_t p)
{
	switch (p) {
	case 1: return "icmp";
	case 2: return "igmp";
	case 4: return "ipip";
	case 6: return "tcp";
	case 17: return "udp";
	case 33: return "dccp";
	case 41: return "ipv6";
	case 47: return "gre";
	case 50: return "esp";
	case 51: return "ah";
	case 58: return "icmp6";
	case 89: return "ospf";
	case 103: return "pim";
	case 112: return "vrrp";
	case 132: return "sctp";
	case 136: return "udplite";
	default: return NULL;
	}
}

static const char *ethertype_name(uint16_t t)
{
	switch (t) {
	case 0x0806: return "arp";
	case 0x8035: return "rarp";
	case 0x88cc: return "lldp";
	case 0x8847: return "mpls";
	case 0x8863: case 0x8864: return "pppoe";
	default: return NULL;
	}
}

static void out_ts(struct out *o, uint64_t mono_ns)
{
	uint64_t ns = mono_ns + clock_offset_ns;
	uint64_t us = ns / 1000 % 1000000;
	char frac[7];

	for (int i = 5; i >= 0; i--, us /= 10)
		frac[i] = '0' + us % 10;
	frac[6] = 0;
	out_u64(o, ns / 1000000000);
	out_ch(o, '.');
	out_mem(o, frac, 6);
}

static void out_tcp_flags(struct out *o, uint8_t f)
{
	static const char letters[8] = "FSRPAUEC";

	out_str(o, ",\"flags\":\"");
	for (int i = 0; i < 8; i++)
		if (f & (1 << i))
			out_ch(o, letters[i]);
	out_ch(o, '"');
}

void rec_packet(struct out *o, const struct sw_event *e)
{
	const char *name;

	out_str(o, "{\"v\":1,\"type\":\"packet\",\"ts\":");
	out_ts(o, e->ts_ns);
	out_str(o, ",\"ifindex\":");
	out_u64(o, e->ifindex);
	out_str(o, ",\"ifname\":");
	out_jstr(o, ifname(e->ifindex));
	out_str(o, e->dir == SW_DIR_OUT ? ",\"dir\":\"out\"" : ",\"dir\":\"in\"");
	out_str(o, ",\"family\":");
	out_u64(o, e->family);

	if (e->family == 0) {
		static const char hex[] = "0123456789abcdef";

		out_str(o, ",\"proto\":\"");
		name = ethertype_name(e->ethertype);
		if (name) {
			out_str(o, name);
		} else {
			out_str(o, "0x");
			for (int s = 12; s >= 0; s -= 4)
				out_ch(o, hex[(e->ethertype >> s) & 15]);
		}
		out_str(o, "\",\"ethertype\":");
		out_u64(o, e->ethertype);
	} else {
		out_str(o, ",\"proto\":");
		name = ip_proto_name(e->proto);
		if (name) {
			out_ch(o, '"');
			out_str(o, name);
			out_ch(o, '"');
		} else {
			out_u64(o, e->proto);
		}
		out_str(o, ",\"src\":\"");
		if (e->family == 4)
			out_ipv4(o, e->saddr);
		else
			out_ipv6(o, e->saddr);
		out_str(o, "\",\"dst\":\"");
		if (e->family == 4)
			out_ipv4(o, e->daddr);
		else
			out_ipv6(o, e->daddr);
		out_ch(o, '"');
	}
	if (e->flags & SW_EV_PORTS) {
		out_str(o, ",\"sport\":");
		out_u64(o, e->sport);
		out_str(o, ",\"dport\":");
		out_u64(o, e->dport);
	}
	out_str(o, ",\"len\":");
	out_u64(o, e->len);
	if (e->flags & SW_EV_PORTS && e->proto == 6)
		out_tcp_flags(o, e->tcp_flags);
	if (e->flags & SW_EV_ICMP) {
		out_str(o, ",\"icmp_type\":");
		out_u64(o, e->icmp_type);
		out_str(o, ",\"icmp_code\":");
		out_u64(o, e->icmp_code);
	}
	if (e->flags & SW_EV_FRAG)
		out_str(o, e->flags & SW_EV_FRAG_LATER ? ",\"frag\":\"later\"" : ",\"frag\":\"first\"");
	if (e->flags & SW_EV_VLAN) {
		out_str(o, ",\"vlan\":");
		out_u64(o, e->vlan);
	}
	if (e->flags & SW_EV_TRUNC)
		out_str(o, ",\"truncated\":true");
	out_str(o, "}\n");
}

static void out_now(struct out *o)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	out_str(o, ",\"ts\":");
	out_ts(o, (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

void rec_ready(struct out *o, const struct sw_iface *ifs, int n_ifs, uint64_t ring_size)
{
	out_str(o, "{\"v\":1,\"type\":\"ready\"");
	out_now(o);
	out_str(o, ",\"interfaces\":[");
	for (int i = 0; i < n_ifs; i++) {
		out_room(o);
		if (i)
			out_ch(o, ',');
		out_str(o, "{\"ifindex\":");
		out_u64(o, ifs[i].ifindex);
		out_str(o, ",\"name\":");
		out_jstr(o, ifs[i].name);
		out_ch(o, '}');
	}
	out_str(o, "],\"ring_size\":");
	out_u64(o, ring_size);
	out_str(o, "}\n");
}

void rec_stats(struct out *o, const struct sw_counters *c, uint64_t written, bool final)
{
	out_str(o, "{\"v\":1,\"type\":\"stats\"");
	out_now(o);
	out_str(o, ",\"seen\":");
	out_u64(o, c->seen);
	out_str(o, ",\"matched\":");
	out_u64(o, c->matched);
	out_str(o, ",\"emitted\":");
	out_u64(o, c->emitted);
	out_str(o, ",\"dropped\":");
	out_u64(o, c->dropped);
	out_str(o, ",\"written\":");
	out_u64(o, written);
	out_str(o, final ? ",\"final\":true}\n" : ",\"final\":false}\n");
}

void rec_error(struct out *o, const char *code, const char *message, const char *detail)
{
	out_str(o, "{\"v\":1,\"type\":\"error\",\"code\":");
	out_jstr(o, code);
	out_str(o, ",\"message\":");
	out_jstr(o, message);
	if (detail && *detail) {
		out_str(o, ",\"detail\":");
		out_jstr(o, detail);
	}
	out_str(o, "}\n");
}
