// SPDX-License-Identifier: MIT
/* The text writer: one tcpdump -n-like line a packet, what `sockwatch capture`
 * prints to a pipe or a file, written here so that the CLI never touches the
 * packets (docs/architecture.md, "Direct output"). The same lines as
 * src/output/text.ts and tcpdump.ts make from a packet record: the names come
 * from the contract (TEXT_WORDS in build/sw_contract.h), the sentences are
 * written once a side, and test/integration/text-parity.test.ts holds the two
 * sides to the same bytes. Packets only: control records go to --control. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "sw_contract.h"
#include "writer.h"

/* The longest line without its bytes: an ICMPv6 error under -e, two process names. */
#define LINE_MAX_TEXT 1024

static const char hexdig[] = "0123456789abcdef";

static void out_2d(struct out *o, unsigned int v)
{
	out_ch(o, '0' + v / 10 % 10);
	out_ch(o, '0' + v % 10);
}

/* 6 digits of microseconds */
static void out_us6(struct out *o, uint64_t us)
{
	char frac[6];

	for (int i = 5; i >= 0; i--, us /= 10)
		frac[i] = '0' + us % 10;
	out_mem(o, frac, 6);
}

/* 0x + at least `digits` hex digits */
static void out_hex(struct out *o, unsigned int v, int digits)
{
	int n = digits;

	while (n < 8 && v >> (4 * n))
		n++;
	out_str(o, "0x");
	for (int s = 4 * (n - 1); s >= 0; s -= 4)
		out_ch(o, hexdig[(v >> s) & 15]);
}

static void out_mac_text(struct out *o, const __u8 *m)
{
	for (int i = 0; i < 6; i++) {
		if (i)
			out_ch(o, ':');
		out_ch(o, hexdig[m[i] >> 4]);
		out_ch(o, hexdig[m[i] & 15]);
	}
}

static void out_addr(struct out *o, __u8 family, const __u8 *a)
{
	if (family == 4)
		out_ipv4(o, a);
	else
		out_ipv6(o, a);
}

/* A span as tcpdump -ttt prints it: 00:00:01.000250 (hours past 99 as they are). */
static void out_span(struct out *o, uint64_t us)
{
	uint64_t s = us / 1000000;

	if (s / 3600 < 100)
		out_2d(o, s / 3600);
	else
		out_u64(o, s / 3600);
	out_ch(o, ':');
	out_2d(o, s / 60 % 60);
	out_ch(o, ':');
	out_2d(o, s % 60);
	out_ch(o, '.');
	out_us6(o, us % 1000000);
}

/* Local time of day (-t none given) or date and time (-tttt), made once a second:
 * localtime_r honours TZ as Node's Date does. */
static void out_local(struct text_writer *w, uint64_t us)
{
	struct out *o = w->out;
	time_t sec = (time_t)(us / 1000000);

	if (!w->local_len || sec != w->local_sec) {
		struct tm tm;

		if (!localtime_r(&sec, &tm))
			memset(&tm, 0, sizeof(tm));
		if (w->stamp == 4)
			w->local_len = snprintf(w->local, sizeof(w->local), "%d-%02d-%02d %02d:%02d:%02d.", tm.tm_year + 1900,
						tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		else
			w->local_len = snprintf(w->local, sizeof(w->local), "%02d:%02d:%02d.", tm.tm_hour, tm.tm_min, tm.tm_sec);
		w->local_sec = sec;
	}
	out_mem(o, w->local, w->local_len);
	out_us6(o, us % 1000000);
	out_ch(o, ' ');
}

/* The -t family's stamp and its space; nothing for -t. */
static void out_stamp(struct text_writer *w, uint64_t ts_ns)
{
	struct out *o = w->out;
	uint64_t us = (ts_ns - w->clock->offset_ns) / 1000, since;

	if (!w->started) {
		w->first_us = w->prev_us = us;
		w->started = true;
	}
	since = w->stamp == 5 ? w->first_us : w->prev_us;
	w->prev_us = us;
	switch (w->stamp) {
	case 0:
	case 4:
		out_local(w, us);
		return;
	case 1:
		return;
	case 2:
		out_u64(o, us / 1000000);
		out_ch(o, '.');
		out_us6(o, us % 1000000);
		break;
	default: /* 3, 5: never negative, as a packet from another CPU may be older */
		out_span(o, us > since ? us - since : 0);
	}
	out_ch(o, ' ');
}

static __u32 text_length(const struct sw_event *e)
{
	return e->flags & SW_EV_PAYLEN ? e->paylen : e->len;
}

static void out_length(struct out *o, const struct sw_event *e)
{
	out_str(o, "length ");
	out_u64(o, text_length(e));
}

/* a record's proto as it names it: its name, or the number */
static void out_proto_name(struct out *o, __u8 proto)
{
	const char *name = sw_ip_proto_name(proto);

	if (name)
		out_str(o, name);
	else
		out_u64(o, proto);
}

/* inner_dst, or '?' when the error quotes nothing */
static void out_where(struct out *o, const struct sw_event *e)
{
	if (e->flags & SW_EV_INNER)
		out_addr(o, e->family, e->inner_daddr);
	else
		out_ch(o, '?');
}

static bool inner_port(const struct sw_event *e)
{
	return (e->flags & (SW_EV_INNER | SW_EV_INNER_PORT)) == (SW_EV_INNER | SW_EV_INNER_PORT);
}

/* tcpdump's ICMP unreachable: "192.0.2.2 udp port 7777 unreachable", "host 198.51.100.9 unreachable" */
static void out_icmp_unreach(struct out *o, const struct sw_event *e)
{
	switch (e->icmp_code) {
	case 0:
	case 1:
		out_str(o, e->icmp_code ? "host " : "net ");
		out_where(o, e);
		out_str(o, " unreachable");
		return;
	case 2:
		out_where(o, e);
		out_str(o, " protocol ");
		out_u64(o, e->flags & SW_EV_INNER ? e->inner_proto : 0);
		out_str(o, " unreachable");
		return;
	case 3:
		out_where(o, e);
		if (inner_port(e)) {
			out_ch(o, ' ');
			out_proto_name(o, e->inner_proto);
			out_str(o, " port ");
			out_u64(o, e->inner_dport);
		} else {
			out_str(o, " port");
		}
		out_str(o, " unreachable");
		return;
	case 4:
		out_where(o, e);
		out_str(o, " unreachable - need to frag");
		return;
	default:
		out_where(o, e);
		out_str(o, " unreachable - #");
		out_u64(o, e->icmp_code);
	}
}

/* Returns true when it wrote tcpdump's "[|...]" (the packet ended too early). */
static bool out_icmp(struct out *o, const struct sw_event *e)
{
	const char *name;

	if (!(e->flags & SW_EV_ICMP)) {
		out_str(o, "ICMP [|icmp]");
		return true;
	}
	out_str(o, "ICMP ");
	switch (e->icmp_type) {
	case 3:
		out_icmp_unreach(o, e);
		break;
	case 5:
		out_str(o, "redirect ");
		out_where(o, e);
		break;
	case 11:
		name = sw_text_icmp_time_exceeded(e->icmp_code);
		out_str(o, name ? name : sw_text_icmp_time_exceeded(0));
		break;
	default:
		name = sw_text_icmp_type(e->icmp_type);
		if (name) {
			out_str(o, name);
		} else {
			out_str(o, "type-#");
			out_u64(o, e->icmp_type);
		}
	}
	out_str(o, ", ");
	out_length(o, e);
	return false;
}

static bool out_icmp6(struct out *o, const struct sw_event *e)
{
	const char *name, *code;

	if (!(e->flags & SW_EV_ICMP)) {
		out_str(o, "ICMP6 [|icmp6]");
		return true;
	}
	out_str(o, "ICMP6, ");
	name = sw_text_icmp6_type(e->icmp_type);
	if (name) {
		out_str(o, name);
	} else {
		out_str(o, "type-#");
		out_u64(o, e->icmp_type);
	}
	if (e->icmp_type == 1) {
		code = sw_text_icmp6_unreach(e->icmp_code);
		out_str(o, ", ");
		if (code) {
			out_str(o, code);
		} else {
			out_str(o, "unknown unreach code (");
			out_u64(o, e->icmp_code);
			out_ch(o, ')');
		}
		if (e->icmp_code == 4 && inner_port(e)) {
			out_str(o, ", ");
			out_ipv6(o, e->inner_daddr);
			out_ch(o, ' ');
			out_proto_name(o, e->inner_proto);
			out_str(o, " port ");
			out_u64(o, e->inner_dport);
		} else if (e->flags & SW_EV_INNER) {
			out_ch(o, ' ');
			out_ipv6(o, e->inner_daddr);
		}
	} else if ((e->icmp_type == 135 || e->icmp_type == 136) && e->flags & SW_EV_ND) {
		out_str(o, e->icmp_type == 135 ? ", who has " : ", tgt is ");
		out_ipv6(o, e->inner_daddr);
	}
	out_str(o, ", ");
	out_length(o, e);
	return false;
}

/* What follows "src > dst: " of an IP packet; true when it wrote "[|...]". */
static bool out_ip_payload(struct out *o, const struct sw_event *e)
{
	if (e->reason && e->reason <= SW_WHY_MALFORMED_MAX) {
		out_str(o, "[malformed: ");
		out_str(o, sw_reason_name(e->reason));
		out_ch(o, ']');
		return false;
	}
	if (e->flags & SW_EV_FRAG_LATER) {
		out_str(o, "ip-proto-");
		out_u64(o, e->proto);
		return false;
	}
	switch (e->proto) {
	case 6:
		if (!(e->flags & SW_EV_TCP_FLAGS)) {
			out_str(o, "[|tcp]");
			return true;
		}
		out_str(o, "Flags [");
		if (!e->tcp_flags)
			out_str(o, "none");
		for (int i = 0; i < 8; i++)
			if (e->tcp_flags & (1 << i))
				out_ch(o, SW_TEXT_TCP_FLAGS[i]);
		out_str(o, "], ");
		out_length(o, e);
		return false;
	case 17:
		if (!(e->flags & SW_EV_PORTS)) {
			out_str(o, "[|udp]");
			return true;
		}
		out_str(o, "UDP, ");
		out_length(o, e);
		return false;
	case 1:
		return out_icmp(o, e);
	case 58:
		return out_icmp6(o, e);
	case 47:
		out_str(o, "GREv0, ");
		out_length(o, e);
		return false;
	case 132:
		out_str(o, "sctp");
		return false;
	default:
		out_str(o, "ip-proto-");
		out_u64(o, e->proto);
		out_ch(o, ' ');
		out_u64(o, text_length(e));
		return false;
	}
}

static void out_host_port(struct out *o, __u8 family, const __u8 *a, bool ports, __u16 port)
{
	out_addr(o, family, a);
	if (ports) {
		out_ch(o, '.');
		out_u64(o, port);
	}
}

/* tcpdump -n's words after the timestamp; with link, tcpdump -n -e's. */
static void out_body(const struct text_writer *w, const struct sw_event *e)
{
	struct out *o = w->out;
	const char *name;
	bool cut = false;

	if (w->link && e->flags & SW_EV_ETH) {
		/* "src > dst, ethertype IPv4 (0x0800), length 142: " ("802.3, length N" for LLC) */
		out_mac_text(o, e->smac);
		out_str(o, " > ");
		out_mac_text(o, e->dmac);
		if (e->flags & SW_EV_LLC) {
			out_str(o, ", 802.3, length ");
			if (e->len < 14) {
				out_ch(o, '-');
				out_u64(o, 14 - e->len);
			} else {
				out_u64(o, e->len - 14);
			}
		} else {
			unsigned int t = e->family == 4 ? 0x0800 : e->family == 6 ? 0x86dd : e->ethertype;
			unsigned int outer = e->flags & SW_EV_VLAN ? 0x8100 : t;

			name = sw_text_ethertype(outer);
			out_str(o, ", ethertype ");
			out_str(o, name ? name : "Unknown");
			out_str(o, " (");
			out_hex(o, outer, 4);
			out_str(o, "), length ");
			out_u64(o, e->len);
		}
		out_str(o, ": ");
		if (e->flags & SW_EV_VLAN) {
			out_str(o, "vlan ");
			out_u64(o, e->vlan);
			out_str(o, ", ");
		}
	}
	if (e->family) {
		bool ports = !(e->flags & SW_EV_FRAG_LATER) && e->flags & SW_EV_PORTS;

		if (!w->link)
			out_str(o, e->family == 6 ? "IP6 " : "IP ");
		out_host_port(o, e->family, e->saddr, ports, e->sport);
		out_str(o, " > ");
		out_host_port(o, e->family, e->daddr, ports, e->dport);
		out_str(o, ": ");
		cut = out_ip_payload(o, e);
	} else if (e->flags & SW_EV_LLC) {
		out_str(o, "LLC, dsap ");
		out_hex(o, e->llc_dsap, 2);
		out_str(o, ", ssap ");
		out_hex(o, e->llc_ssap, 2);
		out_str(o, ", ");
		out_length(o, e);
	} else if (e->ethertype == 0x0806) {
		if (!(e->flags & SW_EV_ARP)) {
			out_str(o, "ARP, ");
			out_length(o, e);
		} else {
			if (!w->link)
				out_str(o, "ARP, ");
			if (e->sport == 1) {
				out_str(o, "Request who-has ");
				out_ipv4(o, e->daddr);
				out_str(o, " tell ");
				out_ipv4(o, e->saddr);
			} else if (e->sport == 2) {
				out_str(o, "Reply ");
				out_ipv4(o, e->saddr);
				out_str(o, " is-at ");
				out_mac_text(o, e->saddr + 4);
			} else {
				out_str(o, "Unknown opcode ");
				out_u64(o, e->sport);
			}
			out_str(o, ", ");
			out_length(o, e);
		}
	} else if (e->reason && e->reason <= SW_WHY_MALFORMED_MAX) {
		out_str(o, "[malformed: ");
		out_str(o, sw_reason_name(e->reason));
		out_ch(o, ']');
	} else {
		if (!w->link) {
			name = sw_text_ethertype(e->ethertype);
			out_str(o, "ethertype ");
			out_str(o, name ? name : "Unknown");
			out_str(o, " (");
			out_hex(o, e->ethertype, 4);
			out_str(o, "), ");
		}
		out_length(o, e);
	}
	if (e->reason > SW_WHY_MALFORMED_MAX && sw_reason_name(e->reason)) {
		out_str(o, " [unwalked: ");
		out_str(o, sw_reason_name(e->reason));
		out_ch(o, ']');
	} else if (e->flags & SW_EV_TRUNC && !cut) {
		out_str(o, " [|truncated]");
	}
}

/* " (comm/pid <- peer/pid)": whose packet, after tcpdump's words; made again
 * only when the owner changes (a flood from one socket costs a copy). */
static void out_who(struct text_writer *w, const struct sw_event_owner *who)
{
	struct out *o = w->out;
	char comm[sizeof(who->owner.comm) + 1];
	size_t start = o->len;

	if (!who->owner.pid)
		return;
	if (w->last_len && !memcmp(&w->last_who, who, sizeof(*who))) {
		out_mem(o, w->last, w->last_len);
		return;
	}
	out_str(o, " (");
	memcpy(comm, who->owner.comm, sizeof(who->owner.comm));
	comm[sizeof(who->owner.comm)] = 0;
	out_text(o, comm);
	out_ch(o, '/');
	out_u64(o, who->owner.pid);
	if (who->peer.pid) {
		out_str(o, " <- ");
		memcpy(comm, who->peer.comm, sizeof(who->peer.comm));
		comm[sizeof(who->peer.comm)] = 0;
		out_text(o, comm);
		out_ch(o, '/');
		out_u64(o, who->peer.pid);
	}
	out_ch(o, ')');
	w->last_len = 0;
	if (o->len - start <= sizeof(w->last)) {
		w->last_len = o->len - start;
		memcpy(w->last, o->buf + start, w->last_len);
		w->last_who = *who;
	}
}

static bool graph(__u8 c)
{
	return c > 0x20 && c <= 0x7e;
}

/* tcpdump -X: "\n\t0x0000:  4500 0054 ...  E..T", 16 bytes a line. */
static void out_hex_ascii(struct out *o, const __u8 *b, __u32 n)
{
	for (__u32 at = 0; at < n; at += 16) {
		__u32 len = n - at < 16 ? n - at : 16, col = 0;

		out_str(o, "\n\t");
		out_hex(o, at, 4);
		out_str(o, ": ");
		for (__u32 i = 0; i < len; i += 2) {
			out_ch(o, ' ');
			out_ch(o, hexdig[b[at + i] >> 4]);
			out_ch(o, hexdig[b[at + i] & 15]);
			col += 3;
			if (i + 1 < len) {
				out_ch(o, hexdig[b[at + i + 1] >> 4]);
				out_ch(o, hexdig[b[at + i + 1] & 15]);
				col += 2;
			}
		}
		for (; col < 40; col++)
			out_ch(o, ' ');
		out_str(o, "  ");
		for (__u32 i = 0; i < len; i++)
			out_ch(o, graph(b[at + i]) ? (char)b[at + i] : '.');
	}
}

/* tcpdump -A: a newline, then the bytes; tab, space and newline kept, a CR
 * before a newline dropped, anything else not printable a '.'. */
static void out_ascii(struct out *o, const __u8 *b, __u32 n)
{
	out_ch(o, '\n');
	for (__u32 i = 0; i < n; i++) {
		__u8 c = b[i];

		if (c == '\r') {
			if (i + 1 == n || b[i + 1] != '\n')
				out_ch(o, '.');
		} else {
			out_ch(o, graph(c) || c == '\t' || c == ' ' || c == '\n' ? (char)c : '.');
		}
	}
}

/* The bytes from the network-layer header on (as the NDJSON writer's data:
 * past a cooked header, and past an Ethernet header and its VLAN tags). */
static void out_dump(const struct text_writer *w, const struct sw_event *e, const __u8 *d, __u32 caplen)
{
	__u32 at = sw_net_offset(e, d, caplen, w->data_skip);

	if (at >= caplen)
		return;
	if (w->dump == TEXT_DUMP_HEX)
		out_hex_ascii(w->out, d + at, caplen - at);
	else
		out_ascii(w->out, d + at, caplen - at);
}

static size_t text_room(void *ctx)
{
	const struct text_writer *w = ctx;
	size_t free = out_free_space(w->out);
	size_t bytes = w->dump ? (size_t)(w->data_max ? w->data_max : 262144) : 0;
	/* -X: 69 bytes a line of 16 */
	size_t record = LINE_MAX_TEXT + (w->dump == TEXT_DUMP_HEX ? 5 * bytes : bytes + 1);

	return free > OUT_RESERVE ? (free - OUT_RESERVE) / record : 0;
}

static void text_packet(void *ctx, const struct sw_event *e, const __u8 *data, __u32 caplen)
{
	struct text_writer *w = ctx;
	struct out *o = w->out;
	const char *name = w->ifname ? w->ifname : ifnames_get(w->names, e->ifindex);
	char other[IF_NAMESIZE + 8];

	out_stamp(w, e->ts_ns);
	if (!name) {
		snprintf(other, sizeof(other), "if%u", e->ifindex);
		name = other;
	}
	if (*name) {
		out_text(o, name);
		out_ch(o, ' ');
	}
	out_str(o, e->dir == SW_DIR_OUT ? "out " : e->dir == SW_DIR_UNKNOWN ? "unknown " : "in ");
	out_body(w, e);
	if (w->owners)
		out_who(w, &e->who);
	if (w->dump && data)
		out_dump(w, e, data, caplen);
	out_ch(o, '\n');
}

static void text_flow(void *ctx, const struct sw_flow_key *k, const struct sw_flow_val *v, const struct sw_event_owner *who)
{
}

static void text_ready(void *ctx, const struct sw_ready *r)
{
}

static void text_stats(void *ctx, const struct sw_stats *s)
{
}

static void text_link(void *ctx, unsigned int ifindex, enum sw_link_state state)
{
}

static void text_error(void *ctx, const char *code, const char *message, const char *detail)
{
}

void text_writer_init(struct text_writer *w)
{
	/* localtime_r needs TZ read once */
	tzset();
	w->started = false;
	w->local_len = 0;
	w->last_len = 0;
}

const struct sw_writer_ops text_ops = {
	.room = text_room,
	.packet = text_packet,
	.flow = text_flow,
	.ready = text_ready,
	.stats = text_stats,
	.link = text_link,
	.error = text_error,
};
