// SPDX-License-Identifier: MIT
/*
 * The capture-file writer (-w): each packet's bytes as an Enhanced Packet
 * Block (pcapng: an Interface Description Block for each interface as it is
 * first seen in a file, direction, drops, the owning process; an Interface
 * Statistics Block per interface at each file's end) or a classic pcap record.
 * docs/pcap.md describes what is written and how the counts are assigned.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cgroups.h"
#include "linktypes.h"
#include "pcap.h"
#include "pcapng.h"
#include "writer.h"

#define APP "sockwatch 0.1.0"
#define ETH_HLEN 14

static uint64_t wall_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void fail(struct cap_writer *w, int err, const char *fmt, const char *what)
{
	if (w->err)
		return;
	w->err = err ? err : EIO;
	snprintf(w->why, sizeof(w->why), fmt, what, strerror(w->err));
}

/* n bytes at p into the file; false (and the writer failed) when they could not be. */
static uint8_t *reserve(struct cap_writer *w, size_t n)
{
	uint8_t *p = w->err ? NULL : savefile_reserve(&w->file, n);

	/* stdout's failures (a reader that left: `| head`) are the engine's to judge */
	if (!p && w->file.out == &w->file.file)
		fail(w, w->file.out->err, "cannot write to '%s': %s", w->file.name);
	return p;
}

/* The file's header: pcapng's Section Header, or pcap's file header. */
static void write_header(struct cap_writer *w)
{
	size_t n = w->ng ? pcapng_shb_size(APP) : PCAP_HEADER_SIZE;
	uint8_t *p = reserve(w, n);

	if (!p)
		return;
	savefile_commit(&w->file, w->ng ? pcapng_shb(p, APP) : pcap_file_header(p, w->snaplen, w->linktype));
	w->n_ifs = 0;
	w->last = 0;
	w->start_ns = wall_now_ns();
}

static uint16_t linktype_of(unsigned int ifindex, const struct sw_event *ev)
{
	switch (linktype_of_ifindex(ifindex)) {
	case SW_LINKTYPE_ETHER: return PCAPNG_LINKTYPE_ETHERNET;
	case SW_LINKTYPE_RAW: return PCAPNG_LINKTYPE_RAW;
	/* neither (or gone already): as the kernel program judged the frame */
	default: return ev->flags & SW_EV_ETH ? PCAPNG_LINKTYPE_ETHERNET : PCAPNG_LINKTYPE_RAW;
	}
}

/* The packet's interface in this file: its number (pcapng: its IDB, written
 * now if it is new); -1 when the table is full. */
static int interface_of(struct cap_writer *w, const struct sw_event *ev, uint16_t *linktype)
{
	struct cap_if *c;
	const char *name;
	char fallback[32];
	uint8_t *p;
	uint32_t i;

	if (w->n_ifs && w->ifs[w->last].ifindex == ev->ifindex)
		i = w->last;
	else
		for (i = 0; i < w->n_ifs && w->ifs[i].ifindex != ev->ifindex; i++)
			;
	if (i == w->n_ifs) {
		if (i == CAP_MAX_IFS)
			return -1;
		c = &w->ifs[w->n_ifs++];
		*c = (struct cap_if){ .ifindex = ev->ifindex, .linktype = linktype_of(ev->ifindex, ev) };
		if (w->ng) {
			name = ifnames_get(w->names, ev->ifindex);
			if (!name) {
				snprintf(fallback, sizeof(fallback), "ifindex %u", ev->ifindex);
				name = fallback;
			}
			p = reserve(w, pcapng_idb_size(name));
			if (!p)
				return -1;
			savefile_commit(&w->file, pcapng_idb(p, c->linktype, w->snaplen, name));
		}
	}
	w->last = i;
	*linktype = w->ifs[i].linktype;
	return (int)i;
}

/* "pid 1234 comm curl container 3f2a…": what today's tshark shows as the frame's
 * comment; made again only when the owner (or what is known of cgroups) changed. */
static const char *owner_comment(struct cap_writer *w, const struct sw_owner *o)
{
	const struct cgroup_info *cg;
	char comm[sizeof(o->comm) + 1], *buf = w->last_comment;
	size_t i, size = sizeof(w->last_comment);

	if (buf[0] && w->last_cgroup_gen == w->owners->cg.walks && !memcmp(&w->last_owner, o, sizeof(*o)))
		return buf;
	w->last_owner = *o;
	w->last_cgroup_gen = w->owners->cg.walks;
	cg = cgroups_get(&w->owners->cg, o->cgroup_id);
	for (i = 0; i < sizeof(o->comm) && o->comm[i]; i++) /* printable ASCII: the comment is UTF-8 */
		comm[i] = o->comm[i] > 0x20 && o->comm[i] < 0x7f ? o->comm[i] : '?';
	comm[i] = 0;
	snprintf(buf, size, "pid %u comm %s%s%s", o->pid, comm, cg && cg->container[0] ? " container " : "",
		 cg && cg->container[0] ? cg->container : "");
	return buf;
}

static void write_pcapng(struct cap_writer *w, const struct sw_event *ev, const __u8 *data, __u32 caplen, int ifid,
			 uint64_t ts)
{
	struct pcapng_epb epb = {
		.ifid = (uint32_t)ifid, .ts_ns = ts, .caplen = caplen, .len = ev->len, .data = data,
		.flags = ev->dir == SW_DIR_OUT ? PCAPNG_DIR_OUT : PCAPNG_DIR_IN,
		.has_drops = ev->lost != 0, .drops = ev->lost,
	};
	uint8_t *p;

	if (w->owners && ev->who.owner.pid) {
		epb.pid = ev->who.owner.pid; /* the thread is not known: 0 */
		epb.comment = owner_comment(w, &ev->who.owner);
	}
	p = reserve(w, pcapng_epb_size(&epb));
	if (p)
		savefile_commit(&w->file, pcapng_epb(p, &epb));
}

/* A raw-IP device's packet in an Ethernet pcap file (-i any): a made-up
 * header of zero addresses and the IP version's ethertype (docs/pcap.md). */
static void write_pcap(struct cap_writer *w, const struct sw_event *ev, const __u8 *data, __u32 caplen,
		       uint16_t linktype, uint64_t ts)
{
	uint8_t head[ETH_HLEN] = { 0 };
	uint32_t hl = 0;
	uint8_t *p;

	if (w->linktype == PCAPNG_LINKTYPE_ETHERNET && linktype != PCAPNG_LINKTYPE_ETHERNET) {
		hl = ETH_HLEN;
		head[12] = ev->ethertype >> 8;
		head[13] = ev->ethertype & 0xff;
		if (caplen + hl > w->snaplen)
			caplen = w->snaplen - hl;
	}
	p = reserve(w, PCAP_RECORD_HEADER_SIZE + hl + caplen);
	if (!p)
		return;
	pcap_record_header(p, ts, hl + caplen, hl + ev->len);
	memcpy(p + PCAP_RECORD_HEADER_SIZE, head, hl);
	memcpy(p + PCAP_RECORD_HEADER_SIZE + hl, data, caplen);
	savefile_commit(&w->file, PCAP_RECORD_HEADER_SIZE + hl + caplen);
}

/* pcapng: a statistics block for each interface of the file. The kernel
 * counts drops per CPU, not per interface: an interface gets the drops its
 * packets' records carried; `rest` (drops no record carried) goes to the
 * first one. */
static void write_stats(struct cap_writer *w, uint64_t rest)
{
	const uint64_t now = wall_now_ns();
	uint8_t *p;

	for (uint32_t i = 0; w->ng && i < w->n_ifs; i++) {
		const struct cap_if *c = &w->ifs[i];
		const uint64_t drops = c->drops + (i == 0 ? rest : 0);
		const struct pcapng_isb isb = { .ifid = i, .ts_ns = now, .start_ns = w->start_ns, .end_ns = now,
						.recv = c->written + drops, .drop = drops, .delivered = c->written };

		p = reserve(w, PCAPNG_ISB_SIZE);
		if (!p)
			return;
		savefile_commit(&w->file, pcapng_isb(p, &isb));
	}
}

/* Before a packet: a new file when -C or -G say so. */
static bool rotate(struct cap_writer *w)
{
	int err;

	switch (savefile_due(&w->file)) {
	case SAVEFILE_SAME:
		return true;
	case SAVEFILE_END:
		write_stats(w, 0);
		err = w->err ? 0 : savefile_close(&w->file);
		if (err)
			fail(w, -err, "cannot write to '%s': %s", w->file.name);
		w->done = true;
		return false;
	case SAVEFILE_NEXT:
		break;
	}
	write_stats(w, 0);
	if (w->err)
		return false;
	if (savefile_next(&w->file, w->why, sizeof(w->why))) {
		w->err = EIO;
		return false;
	}
	write_header(w);
	return !w->err;
}

static void cw_packet(void *ctx, const struct sw_event *ev, const __u8 *data, __u32 caplen)
{
	struct cap_writer *w = ctx;
	const uint64_t ts = ev->ts_ns - w->clock->offset_ns;
	uint16_t linktype = 0;
	int ifid;

	if (w->done || w->err || !rotate(w))
		return;
	if (!data)
		caplen = 0;
	ifid = interface_of(w, ev, &linktype);
	if (ifid < 0)
		return;
	w->ifs[ifid].written++;
	w->ifs[ifid].drops += ev->lost;
	w->drops_carried += ev->lost;
	if (w->ng)
		write_pcapng(w, ev, data, caplen, ifid, ts);
	else
		write_pcap(w, ev, data, caplen, linktype, ts);
}

static size_t cw_room(void *ctx)
{
	const struct cap_writer *w = ctx;
	const size_t free = out_free_space(w->file.out), each = w->snaplen + PCAPNG_EPB_OVERHEAD + ETH_HLEN;

	/* a file is written out as it fills; stdout waits for its reader */
	if (w->file.out == &w->file.file || w->done || w->err)
		return (size_t)-1;
	return free > OUT_RESERVE + each ? (free - OUT_RESERVE) / each : 0;
}

static void cw_stats(void *ctx, const struct sw_stats *s)
{
	struct cap_writer *w = ctx;

	if (!s->final || w->done || w->err)
		return;
	/* the drops no record carried: after the last record of their CPU */
	write_stats(w, s->c.dropped > w->drops_carried ? s->c.dropped - w->drops_carried : 0);
	w->n_ifs = 0; /* written: not again at close */
}

static bool cw_flush(void *ctx, char *why, size_t size, bool *failed)
{
	struct cap_writer *w = ctx;
	int err;

	if (!w->err && !w->done && w->file.out == &w->file.file && (err = savefile_flush(&w->file)))
		fail(w, -err, "cannot write to '%s': %s", w->file.name);
	*failed = w->err != 0;
	if (w->err)
		snprintf(why, size, "%s", w->why);
	else if (w->done)
		snprintf(why, size, "-W %lu files written", w->file.count);
	return !w->err && !w->done;
}

static void cw_nothing(void *ctx) { (void)ctx; }
static void cw_flow(void *ctx, const struct sw_flow_key *k, const struct sw_flow_val *v, const struct sw_event_owner *who) { cw_nothing(ctx); }
static void cw_ready(void *ctx, const struct sw_ready *r) { cw_nothing(ctx); }
static void cw_link(void *ctx, unsigned int ifindex, enum sw_link_state state) { cw_nothing(ctx); }
static void cw_error(void *ctx, const char *code, const char *message, const char *detail) { cw_nothing(ctx); }

int cap_writer_open(struct cap_writer *w, const struct sw_opts *o, unsigned int fixed_linktype, struct out *std_out,
		    char *why, size_t size)
{
	int err;

	w->ng = !o->pcap;
	w->snaplen = o->snaplen;
	/* classic pcap has one link type a file: the interfaces', or Ethernet when they differ */
	w->linktype = fixed_linktype == SW_LINKTYPE_RAW ? PCAPNG_LINKTYPE_RAW : PCAPNG_LINKTYPE_ETHERNET;
	err = savefile_open(&w->file, o->write, o->rotate_bytes, o->rotate_s, o->max_files, std_out, why, size);
	if (err)
		return err;
	write_header(w);
	if (w->err)
		snprintf(why, size, "%s", w->why);
	return w->err ? -w->err : 0;
}

int cap_writer_close(struct cap_writer *w)
{
	int err;

	if (w->done)
		return 0;
	if (w->n_ifs)
		write_stats(w, 0);
	err = savefile_close(&w->file);
	return w->err ? -w->err : err;
}

const struct sw_writer_ops cap_ops = {
	.room = cw_room,
	.packet = cw_packet,
	.flow = cw_flow,
	.ready = cw_ready,
	.stats = cw_stats,
	.link = cw_link,
	.error = cw_error,
	.flush = cw_flush,
};
