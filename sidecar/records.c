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

/* ,"name":value — key is written with its leading comma and quotes */
static void out_kv(struct out *o, const char *key, uint64_t v)
{
	out_str(o, key);
	out_u64(o, v);
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

/* What packets and flows share: interface, direction, protocol, addresses, ports. */
static void out_l3(struct out *o, __u32 ifindex, __u8 dir, __u8 family, __u8 proto, __u16 ethertype,
		   const __u8 *saddr, const __u8 *daddr, bool ports, __u16 sport, __u16 dport)
{
	const char *name;

	out_kv(o, ",\"ifindex\":", ifindex);
	out_str(o, ",\"ifname\":");
	out_jstr(o, ifname(ifindex));
	out_str(o, dir == SW_DIR_OUT ? ",\"dir\":\"out\"" : ",\"dir\":\"in\"");
	out_kv(o, ",\"family\":", family);

	if (family == 0) {
		static const char hex[] = "0123456789abcdef";

		out_str(o, ",\"proto\":\"");
		name = sw_ethertype_name(ethertype);
		if (name) {
			out_str(o, name);
		} else {
			out_str(o, "0x");
			for (int s = 12; s >= 0; s -= 4)
				out_ch(o, hex[(ethertype >> s) & 15]);
		}
		out_str(o, "\",\"ethertype\":");
		out_u64(o, ethertype);
	} else {
		out_str(o, ",\"proto\":");
		name = sw_ip_proto_name(proto);
		if (name) {
			out_ch(o, '"');
			out_str(o, name);
			out_ch(o, '"');
		} else {
			out_u64(o, proto);
		}
		out_str(o, ",\"src\":\"");
		if (family == 4)
			out_ipv4(o, saddr);
		else
			out_ipv6(o, saddr);
		out_str(o, "\",\"dst\":\"");
		if (family == 4)
			out_ipv4(o, daddr);
		else
			out_ipv6(o, daddr);
		out_ch(o, '"');
	}
	if (ports) {
		out_kv(o, ",\"sport\":", sport);
		out_kv(o, ",\"dport\":", dport);
	}
}

void rec_packet(struct out *o, const struct sw_event *e)
{
	out_str(o, SW_REC_HEAD_PACKET ",\"ts\":");
	out_ts(o, e->ts_ns);
	out_l3(o, e->ifindex, e->dir, e->family, e->proto, e->ethertype, e->saddr, e->daddr,
	       e->flags & SW_EV_PORTS, e->sport, e->dport);
	out_kv(o, ",\"len\":", e->len);
	if (e->flags & SW_EV_PORTS && e->proto == 6)
		out_tcp_flags(o, e->tcp_flags);
	if (e->flags & SW_EV_ICMP) {
		out_kv(o, ",\"icmp_type\":", e->icmp_type);
		out_kv(o, ",\"icmp_code\":", e->icmp_code);
	}
	if (e->flags & SW_EV_FRAG)
		out_str(o, e->flags & SW_EV_FRAG_LATER ? ",\"frag\":\"later\"" : ",\"frag\":\"first\"");
	if (e->flags & SW_EV_VLAN) {
		out_kv(o, ",\"vlan\":", e->vlan);
	}
	if (e->flags & SW_EV_TRUNC)
		out_str(o, ",\"truncated\":true");
	out_str(o, "}\n");
}

void rec_flow(struct out *o, const struct sw_flow_key *k, const struct sw_flow_val *v)
{
	/* a flow keyed with both ports 0 is one of a protocol without ports */
	bool ports = k->sport || k->dport;

	out_str(o, SW_REC_HEAD_FLOW);
	out_l3(o, k->ifindex, k->dir, k->family, k->proto, k->ethertype, k->saddr, k->daddr, ports,
	       k->sport, k->dport);
	out_kv(o, ",\"packets\":", v->packets);
	out_kv(o, ",\"bytes\":", v->bytes);
	out_str(o, ",\"first\":");
	out_ts(o, v->first_ns);
	out_str(o, ",\"last\":");
	out_ts(o, v->last_ns);
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
	out_str(o, SW_REC_HEAD_READY);
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

void rec_stats(struct out *o, const struct sw_counters *c, uint64_t written, int64_t flows, bool final)
{
	out_str(o, SW_REC_HEAD_STATS);
	out_now(o);
	out_kv(o, ",\"seen\":", c->seen);
	out_kv(o, ",\"matched\":", c->matched);
	out_kv(o, ",\"emitted\":", c->emitted);
	out_kv(o, ",\"dropped\":", c->dropped);
	out_kv(o, ",\"written\":", written);
	out_kv(o, ",\"matched_bytes\":", c->matched_bytes);
	if (flows >= 0) {
		out_kv(o, ",\"flows\":", flows);
	}
	out_str(o, final ? ",\"final\":true}\n" : ",\"final\":false}\n");
}

void rec_error(struct out *o, const char *code, const char *message, const char *detail)
{
	out_str(o, SW_REC_HEAD_ERROR ",\"code\":");
	out_jstr(o, code);
	out_str(o, ",\"message\":");
	out_jstr(o, message);
	if (detail && *detail) {
		out_str(o, ",\"detail\":");
		out_jstr(o, detail);
	}
	out_str(o, "}\n");
}

void rec_link(struct out *o, unsigned int ifindex, const char *ifname, const char *state)
{
	out_str(o, SW_REC_HEAD_LINK);
	out_now(o);
	out_kv(o, ",\"ifindex\":", ifindex);
	out_str(o, ",\"ifname\":");
	out_jstr(o, ifname);
	out_str(o, ",\"state\":\"");
	out_str(o, state);
	out_str(o, "\"}\n");
}
