// SPDX-License-Identifier: MIT
/* The NDJSON writer: records as docs/events.md describes them. Every record
 * starts {"v":1,"type":"<kind>", in that order. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "sw_contract.h" /* generated: SW_REC_HEAD_*, protocol names */
#include "writer.h"


/* The longest packet or flow record: an IPv6 one with a long, escaped name. */
#define RECORD_MAX 640

static void out_ifname(const struct ndjson_writer *w, unsigned int ifindex);

static void out_ts(struct out *o, const struct sw_clock *clock, uint64_t stamp_ns)
{
	uint64_t ns = stamp_ns - clock->offset_ns;
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
static void out_l3(const struct ndjson_writer *w, __u32 ifindex, __u8 dir, __u8 family, __u8 proto, __u16 ethertype,
		   const __u8 *saddr, const __u8 *daddr, bool ports, __u16 sport, __u16 dport)
{
	struct out *o = w->out;
	const char *name;

	out_kv(o, ",\"ifindex\":", ifindex);
	out_str(o, ",\"ifname\":");
	out_ifname(w, ifindex);
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

/* An ifname's value: the resolver's name, or if<N> for an index it never saw. */
static void out_ifname(const struct ndjson_writer *w, unsigned int ifindex)
{
	const char *name = ifnames_get(w->names, ifindex);
	char other[IF_NAMESIZE + 8];

	if (!name) {
		snprintf(other, sizeof(other), "if%u", ifindex);
		name = other;
	}
	out_jstr_n(w->out, name, IF_NAMESIZE * 6);
}

/* A writer of control records only is not held back by room(): if its reader
 * stalls, recurring records (interim stats, links) are skipped once only the
 * reserve is left, which keeps room for the final stats and an error. */
static bool nd_full(const struct ndjson_writer *w)
{
	return !(w->kinds & (SW_W_PACKET | SW_W_FLOW)) && out_free_space(w->out) < OUT_RESERVE;
}

static size_t nd_room(void *ctx)
{
	const struct ndjson_writer *w = ctx;
	size_t free = out_free_space(w->out);

	/* control records only: a few a second, never what holds the ring back */
	if (!(w->kinds & (SW_W_PACKET | SW_W_FLOW)))
		return (size_t)-1;
	return free > OUT_RESERVE ? (free - OUT_RESERVE) / RECORD_MAX : 0;
}

static void nd_packet(void *ctx, const struct sw_event *e)
{
	const struct ndjson_writer *w = ctx;
	struct out *o = w->out;

	if (!(w->kinds & SW_W_PACKET))
		return;

	out_str(o, SW_REC_HEAD_PACKET ",\"ts\":");
	out_ts(o, w->clock, e->ts_ns);
	out_l3(w, e->ifindex, e->dir, e->family, e->proto, e->ethertype, e->saddr, e->daddr,
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
	if (e->flags & SW_EV_VLAN)
		out_kv(o, ",\"vlan\":", e->vlan);
	if (e->flags & SW_EV_TRUNC)
		out_str(o, ",\"truncated\":true");
	out_str(o, "}\n");
}

static void nd_flow(void *ctx, const struct sw_flow_key *k, const struct sw_flow_val *v)
{
	const struct ndjson_writer *w = ctx;
	struct out *o = w->out;

	/* a flow keyed with both ports 0 is one of a protocol without ports */
	bool ports = k->sport || k->dport;

	if (!(w->kinds & SW_W_FLOW))
		return;

	out_str(o, SW_REC_HEAD_FLOW);
	out_l3(w, k->ifindex, k->dir, k->family, k->proto, k->ethertype, k->saddr, k->daddr, ports,
	       k->sport, k->dport);
	out_kv(o, ",\"packets\":", v->packets);
	out_kv(o, ",\"bytes\":", v->bytes);
	out_str(o, ",\"first\":");
	out_ts(o, w->clock, v->first_ns);
	out_str(o, ",\"last\":");
	out_ts(o, w->clock, v->last_ns);
	out_str(o, "}\n");
}

/* ,"ts": the wall clock now (CLOCK_REALTIME: no time namespace changes it) */
static void out_now(struct out *o)
{
	struct timespec ts;
	const struct sw_clock real = { .offset_ns = 0 };

	clock_gettime(CLOCK_REALTIME, &ts);
	out_str(o, ",\"ts\":");
	out_ts(o, &real, (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec);
}

static void nd_ready(void *ctx, const struct sw_ready *r)
{
	const struct ndjson_writer *w = ctx;
	struct out *o = w->out;

	if (!(w->kinds & SW_W_READY))
		return;

	out_str(o, SW_REC_HEAD_READY);
	out_now(o);
	out_str(o, ",\"interfaces\":[");
	for (int i = 0; i < r->n_ifaces; i++) {
		if (i)
			out_ch(o, ',');
		out_str(o, "{\"ifindex\":");
		out_u64(o, r->ifaces[i].ifindex);
		out_str(o, ",\"name\":");
		out_jstr_n(o, r->ifaces[i].name, IF_NAMESIZE * 6);
		out_ch(o, '}');
	}
	out_str(o, "],\"ring_size\":");
	out_u64(o, r->ring_size);
	out_str(o, "}\n");
}

static void nd_stats(void *ctx, const struct sw_stats *s)
{
	const struct ndjson_writer *w = ctx;
	struct out *o = w->out;

	if (!(w->kinds & SW_W_STATS) && !(w->kinds & SW_W_CLOSING_STATS && (s->final || s->flows)))
		return;
	if (!s->final && nd_full(w))
		return;

	out_str(o, SW_REC_HEAD_STATS);
	out_now(o);
	out_kv(o, ",\"seen\":", s->c.seen);
	out_kv(o, ",\"matched\":", s->c.matched);
	out_kv(o, ",\"emitted\":", s->c.emitted);
	out_kv(o, ",\"dropped\":", s->c.dropped);
	out_kv(o, ",\"written\":", s->written);
	out_kv(o, ",\"matched_bytes\":", s->c.matched_bytes);
	if (s->flows) {
		out_kv(o, ",\"flows\":", s->flow_records);
		out_kv(o, ",\"flow_packets\":", s->flow_packets);
		out_kv(o, ",\"overflow\":", s->c.overflow);
		out_kv(o, ",\"overflow_bytes\":", s->c.overflow_bytes);
	}
	out_str(o, s->final ? ",\"final\":true}\n" : ",\"final\":false}\n");
}

static void nd_error(void *ctx, const char *code, const char *message, const char *detail)
{
	const struct ndjson_writer *w = ctx;
	struct out *o = w->out;

	if (!(w->kinds & SW_W_ERROR))
		return;

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

static void nd_link(void *ctx, unsigned int ifindex, enum sw_link_state state)
{
	const struct ndjson_writer *w = ctx;
	struct out *o = w->out;

	if (!(w->kinds & SW_W_LINK) || nd_full(w))
		return;

	out_str(o, SW_REC_HEAD_LINK);
	out_now(o);
	out_kv(o, ",\"ifindex\":", ifindex);
	out_str(o, ",\"ifname\":");
	out_ifname(w, ifindex);
	out_str(o, ",\"state\":\"");
	out_str(o, links_state_name(state));
	out_str(o, "\"}\n");
}

const struct sw_writer_ops ndjson_ops = {
	.room = nd_room,
	.packet = nd_packet,
	.flow = nd_flow,
	.ready = nd_ready,
	.stats = nd_stats,
	.link = nd_link,
	.error = nd_error,
};
