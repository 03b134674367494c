// SPDX-License-Identifier: MIT
/* The NDJSON writer: records as docs/events.md describes them. Every record
 * starts {"v":1,"type":"<kind>", in that order. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "sw_contract.h" /* generated: SW_REC_HEAD_*, protocol names */
#include "writer.h"
#include "cgroups.h"


/* The longest packet or flow record: an IPv6 ICMP error with a long, escaped name,
 * two escaped process names and a cgroup path of COMM_MAX and PATH_MAX. */
#define COMM_MAX (15 * 6)
#define PATH_MAX_OUT 1024
#define RECORD_MAX (896 + 2 * COMM_MAX + PATH_MAX_OUT + 256)

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

/* out_ts for packet records: the seconds' digits are made once a second */
static void out_ts_memo(struct ndjson_writer *w, uint64_t stamp_ns)
{
	struct out *o = w->out;
	uint64_t ns = stamp_ns - w->clock->offset_ns, sec = ns / 1000000000;
	uint64_t us = ns / 1000 % 1000000;
	size_t start;
	char frac[7];

	if (!w->ts_len || w->ts_sec != sec) {
		start = o->len;
		out_u64(o, sec);
		out_ch(o, '.');
		w->ts_len = o->len - start;
		memcpy(w->ts, o->buf + start, w->ts_len);
		w->ts_sec = sec;
	} else {
		out_mem(o, w->ts, w->ts_len);
	}
	for (int i = 5; i >= 0; i--, us /= 10)
		frac[i] = '0' + us % 10;
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

/* "key":"aa:bb:cc:dd:ee:ff" */
static void out_mac(struct out *o, const char *key, const __u8 *m)
{
	static const char hex[] = "0123456789abcdef";

	out_str(o, key);
	out_ch(o, '"');
	for (int i = 0; i < 6; i++) {
		if (i)
			out_ch(o, ':');
		out_ch(o, hex[m[i] >> 4]);
		out_ch(o, hex[m[i] & 15]);
	}
	out_ch(o, '"');
}

/* "key":"a.b.c.d" */
static void out_ip4_kv(struct out *o, const char *key, const __u8 *a)
{
	out_str(o, key);
	out_ch(o, '"');
	out_ipv4(o, a);
	out_ch(o, '"');
}

/* The LLC SAPs of an 802.3 frame (packets and flows). */
static void out_llc(struct out *o, __u8 dsap, __u8 ssap)
{
	out_kv(o, ",\"llc_dsap\":", dsap);
	out_kv(o, ",\"llc_ssap\":", ssap);
}

/* What the parser could not decode, beyond running out of bytes. */
static void out_reason(struct out *o, __u8 reason)
{
	const char *name = sw_reason_name(reason);

	if (!name)
		return;
	out_str(o, reason <= SW_WHY_MALFORMED_MAX ? ",\"malformed\":\"" : ",\"unwalked\":\"");
	out_str(o, name);
	out_ch(o, '"');
}

/* An ICMP error's quoted datagram: destination, protocol, port. */
static void out_inner(struct out *o, const struct sw_event *e)
{
	const char *name = sw_ip_proto_name(e->inner_proto);

	out_str(o, ",\"inner_dst\":\"");
	if (e->family == 4)
		out_ipv4(o, e->inner_daddr);
	else
		out_ipv6(o, e->inner_daddr);
	out_str(o, "\",\"inner_proto\":");
	if (name) {
		out_ch(o, '"');
		out_str(o, name);
		out_ch(o, '"');
	} else {
		out_u64(o, e->inner_proto);
	}
	if (e->flags & SW_EV_INNER_PORT)
		out_kv(o, ",\"inner_dport\":", e->inner_dport);
}

/* Ethernet/IPv4 ARP: opcode, sender MAC and addresses. */
static void out_arp(struct out *o, const struct sw_event *e)
{
	out_kv(o, ",\"arp_op\":", e->sport);
	out_mac(o, ",\"arp_sha\":", e->saddr + 4);
	out_ip4_kv(o, ",\"arp_spa\":", e->saddr);
	out_ip4_kv(o, ",\"arp_tpa\":", e->daddr);
}

/* ,"data":"<hex>": the bytes from the network-layer header on, as tcpdump -X
 * shows them: past a cooked header (skip), and past an Ethernet header with
 * its in-band VLAN tags. The caller leaves room for 2 * caplen. */
static void out_data(struct out *o, const struct sw_event *e, const __u8 *d, __u32 caplen, __u32 skip)
{
	static const char hex[] = "0123456789abcdef";
	__u32 at = sw_net_offset(e, d, caplen, skip), i;

	out_str(o, ",\"data\":\"");
	for (i = at; i < caplen; i++) {
		out_ch(o, hex[d[i] >> 4]);
		out_ch(o, hex[d[i] & 15]);
	}
	out_ch(o, '"');
}

/* What packets and flows share: interface, direction, protocol, addresses, ports. */
static void out_l3(const struct ndjson_writer *w, __u32 ifindex, __u8 dir, __u8 family, __u8 proto, __u16 ethertype,
		   bool llc, const __u8 *saddr, const __u8 *daddr, bool ports, __u16 sport, __u16 dport)
{
	struct out *o = w->out;
	const char *name;

	out_kv(o, ",\"ifindex\":", ifindex);
	out_str(o, ",\"ifname\":");
	out_ifname(w, ifindex);
	out_str(o, dir == SW_DIR_OUT ? ",\"dir\":\"out\"" : dir == SW_DIR_UNKNOWN ? ",\"dir\":\"unknown\"" : ",\"dir\":\"in\"");
	out_kv(o, ",\"family\":", family);

	if (family == 0 && llc) {
		out_str(o, ",\"proto\":\"llc\"");
	} else if (family == 0) {
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

/* out_l3 for packet records, made again only when the interface, its name,
 * the addresses or the ports change: a flow's packets copy it. */
static void out_l3_memo(struct ndjson_writer *w, const struct sw_event *e)
{
	struct out *o = w->out;
	struct nd_l3_key k = { 0 };
	size_t start = o->len, n;

	memcpy(k.saddr, e->saddr, 16);
	memcpy(k.daddr, e->daddr, 16);
	k.ifindex = e->ifindex;
	k.ethertype = e->ethertype;
	k.sport = e->sport;
	k.dport = e->dport;
	k.dir = e->dir;
	k.family = e->family;
	k.proto = e->proto;
	k.llc = !!(e->flags & SW_EV_LLC);
	k.ports = !!(e->flags & SW_EV_PORTS);
	if (w->l3_len && w->l3_names == w->names->changes && !memcmp(&k, &w->l3_key, sizeof(k))) {
		out_mem(o, w->l3, w->l3_len);
		return;
	}
	out_l3(w, e->ifindex, e->dir, e->family, e->proto, e->ethertype, k.llc, e->saddr, e->daddr, k.ports,
	       e->sport, e->dport);
	n = o->len - start;
	w->l3_len = 0;
	if (n <= sizeof(w->l3)) {
		memcpy(w->l3, o->buf + start, n);
		w->l3_key = k;
		w->l3_names = w->names->changes;
		w->l3_len = n;
	}
}

/* An ifname's value: the resolver's name, or if<N> for an index it never saw. */
static void out_ifname(const struct ndjson_writer *w, unsigned int ifindex)
{
	const char *name = w->ifname ? w->ifname : ifnames_get(w->names, ifindex);
	char other[IF_NAMESIZE + 8];

	if (!name) {
		snprintf(other, sizeof(other), "if%u", ifindex);
		name = other;
	}
	out_jstr_n(w->out, name, IF_NAMESIZE * 6);
}

/* ,"pid":…: the packet's owner, null when unknown; the peer's only when known. */
static void render_owner(const struct ndjson_writer *w, const struct sw_event_owner *who)
{
	const struct sw_owner *o = &who->owner;
	const struct cgroup_info *cg = o->pid ? cgroups_get(&w->owners->cg, o->cgroup_id) : NULL;
	struct out *out = w->out;
	char comm[sizeof(o->comm) + 1];

	if (!o->pid) {
		out_str(out, ",\"pid\":null,\"comm\":null,\"uid\":null,\"cgroup\":null,\"container\":null");
	} else {
		out_kv(out, ",\"pid\":", o->pid);
		out_str(out, ",\"comm\":");
		memcpy(comm, o->comm, sizeof(o->comm));
		comm[sizeof(o->comm)] = 0;
		out_jstr_n(out, comm, COMM_MAX);
		out_kv(out, ",\"uid\":", o->uid);
		out_str(out, ",\"cgroup\":");
		if (cg)
			out_jstr_n(out, cg->path, PATH_MAX_OUT);
		else
			out_str(out, "null");
		out_str(out, ",\"container\":");
		if (cg && cg->runtime) {
			out_jstr_n(out, cg->container, COMM_MAX);
			out_str(out, ",\"runtime\":\"");
			out_str(out, cg->runtime);
			out_ch(out, '"');
		} else {
			out_str(out, "null");
		}
	}
	if (who->peer.pid) {
		out_kv(out, ",\"peer_pid\":", who->peer.pid);
		out_str(out, ",\"peer_comm\":");
		memcpy(comm, who->peer.comm, sizeof(who->peer.comm));
		comm[sizeof(who->peer.comm)] = 0;
		out_jstr_n(out, comm, COMM_MAX);
	}
}

/* The owner fields, rendered once per owner: a flood from one socket costs a
 * copy a packet, not a cgroup lookup and four escaped strings. A cgroup walk
 * can change what an id resolves to: the cache is dropped after one. */
static void out_owner(struct ndjson_writer *w, const struct sw_event_owner *who)
{
	struct out *o = w->out;
	size_t start = o->len, n;

	if (w->last_len && w->last_cgroup_gen == w->owners->cg.walks &&
	    !memcmp(&w->last_who, who, sizeof(*who))) {
		out_mem(o, w->last, w->last_len);
		return;
	}
	render_owner(w, who);
	n = o->len - start;
	w->last_len = 0;
	if (n <= sizeof(w->last)) {
		memcpy(w->last, o->buf + start, n);
		w->last_who = *who;
		w->last_cgroup_gen = w->owners->cg.walks;
		w->last_len = n;
	}
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
	size_t record = RECORD_MAX + (w->data ? 2 * (size_t)(w->data_max ? w->data_max : 262144) : 0);

	return free > OUT_RESERVE ? (free - OUT_RESERVE) / record : 0;
}

static void nd_packet(void *ctx, const struct sw_event *e, const __u8 *data, __u32 caplen)
{
	struct ndjson_writer *w = ctx;
	struct out *o = w->out;

	if (!(w->kinds & SW_W_PACKET))
		return;

	out_str(o, SW_REC_HEAD_PACKET ",\"ts\":");
	out_ts_memo(w, e->ts_ns);
	out_l3_memo(w, e);
	out_kv(o, ",\"len\":", e->len);
	if (e->flags & SW_EV_PAYLEN)
		out_kv(o, ",\"paylen\":", e->paylen);
	if (e->flags & SW_EV_TCP_FLAGS && e->proto == 6)
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
	out_reason(o, e->reason);
	if (e->flags & SW_EV_LLC)
		out_llc(o, e->llc_dsap, e->llc_ssap);
	if (e->flags & SW_EV_ARP)
		out_arp(o, e);
	if (e->flags & SW_EV_INNER)
		out_inner(o, e);
	if (e->flags & SW_EV_ND) {
		out_str(o, ",\"nd_target\":\"");
		out_ipv6(o, e->inner_daddr);
		out_ch(o, '"');
	}
	/* asked for: 40 bytes a record that plain captures need not pay for */
	if (w->macs && e->flags & SW_EV_ETH) {
		out_mac(o, ",\"smac\":", e->smac);
		out_mac(o, ",\"dmac\":", e->dmac);
	}
	if (w->owners)
		out_owner(w, &e->who);
	else if (w->file)
		out_str(o, ",\"pid\":null,\"comm\":null,\"uid\":null,\"cgroup\":null,\"container\":null");
	if (w->data && data)
		out_data(o, e, data, caplen, w->data_skip);
	out_str(o, "}\n");
}

static void nd_flow(void *ctx, const struct sw_flow_key *k, const struct sw_flow_val *v,
		    const struct sw_event_owner *who)
{
	struct ndjson_writer *w = ctx;
	struct out *o = w->out;

	/* a flow keyed with both ports 0 is one of a protocol without ports */
	bool ports = k->sport || k->dport;

	if (!(w->kinds & SW_W_FLOW))
		return;

	out_str(o, SW_REC_HEAD_FLOW);
	out_l3(w, k->ifindex, k->dir, k->family, k->proto, k->ethertype, k->llc, k->saddr, k->daddr, ports,
	       k->sport, k->dport);
	if (k->llc)
		out_llc(o, k->llc_dsap, k->llc_ssap);
	out_kv(o, ",\"packets\":", v->packets);
	out_kv(o, ",\"bytes\":", v->bytes);
	out_str(o, ",\"first\":");
	out_ts(o, w->clock, v->first_ns);
	out_str(o, ",\"last\":");
	out_ts(o, w->clock, v->last_ns);
	if (v->has_tcp_flags)
		out_tcp_flags(o, v->tcp_flags);
	if (w->owners)
		out_owner(w, who);
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
	if (r->process_asked)
		out_str(o, r->process_on ? ",\"process\":true" : ",\"process\":false");
	if (r->process_asked && r->process_on && r->process_route) {
		out_str(o, ",\"process_route\":");
		out_jstr(o, r->process_route);
	}
	if (r->process_asked && !r->process_on) {
		out_str(o, ",\"process_off\":");
		out_jstr(o, r->process_off);
	}
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
