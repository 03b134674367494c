/* SPDX-License-Identifier: MIT */
/*
 * One decoded event, many writers (ptcpdump's PacketWriter is the model): the
 * engine hands every packet, flow and control record to each writer the run
 * asked for. NDJSON on stdout is the first; pcap and flow export plug in here.
 */
#ifndef SW_WRITER_H
#define SW_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "../bpf/sockwatch.h"
#include "ifnames.h"
#include "links.h"
#include "out.h"
#include "options.h"
#include "owner.h"
#include "pcapng.h"
#include "savefile.h"

/* Where a packet's network-layer header starts in its bytes, as tcpdump -X
 * dumps them: past a cooked header (skip), and past an Ethernet header and its
 * in-band VLAN tags. May be caplen or more: nothing to show. */
static inline __u32 sw_net_offset(const struct sw_event *e, const __u8 *d, __u32 caplen, __u32 skip)
{
	__u32 at = skip;

	if (e->flags & SW_EV_ETH) {
		at += 12;
		for (__u32 i = 0; i <= SW_MAX_VLAN_TAGS && at + 4 <= caplen; i++) {
			__u16 t = (__u16)d[at] << 8 | d[at + 1];

			if (t != 0x8100 && t != 0x88a8 && t != 0x9100)
				break;
			at += 4;
		}
		at += 2;
	}
	return at;
}

struct sw_iface {
	unsigned int ifindex;
	const char *name;
};

/* Kernel stamps (CLOCK_TAI, or CLOCK_BOOTTIME before 6.1) to wall-clock time:
 * wall = stamp - offset_ns, re-anchored at every report. */
struct sw_clock {
	bool tai;
	int64_t offset_ns;
};

/* What a stats record says: the generations read so far, then the run. */
struct sw_stats {
	struct sw_counters c;
	uint64_t written;      /* packet records written */
	uint64_t flow_records; /* with --flows: flow records written */
	uint64_t flow_packets; /* with --flows: packets those flow records count */
	bool flows;
	bool final;
};

struct sw_ready {
	const struct sw_iface *ifaces;
	int n_ifaces;
	uint64_t ring_size;
	bool packets, flows;
	bool process_asked, process_on; /* attribution asked for; on */
	const char *process_off;        /* asked but off: why */
	const char *process_route;      /* on: what fills the owner maps (cgroup, fentry, kprobe) */
};

struct sw_writer_ops {
	/* Records a writer can still take without waiting for its reader. */
	size_t (*room)(void *ctx);
	/* data: the packet's first caplen bytes from its link-layer header, when
	 * the run captures bytes (-w, -X, a file read); NULL and 0 otherwise. */
	void (*packet)(void *ctx, const struct sw_event *ev, const __u8 *data, __u32 caplen);
	void (*flow)(void *ctx, const struct sw_flow_key *k, const struct sw_flow_val *v,
		     const struct sw_event_owner *who);
	void (*ready)(void *ctx, const struct sw_ready *r);
	void (*stats)(void *ctx, const struct sw_stats *s);
	void (*link)(void *ctx, unsigned int ifindex, enum sw_link_state state);
	void (*error)(void *ctx, const char *code, const char *message, const char *detail);
	/* Optional: writes out what it buffers in its own file. false once its
	 * output failed or is done (-G -W), with a sentence in why; *failed says which. */
	bool (*flush)(void *ctx, char *why, size_t size, bool *failed);
};

struct sw_writer {
	const struct sw_writer_ops *ops;
	void *ctx;
};

/* Which records an NDJSON writer takes. With --control FD the run has two:
 * stdout gets the user's stream (packets, flows, links, and the stats records
 * that close a flow interval or the run: what `capture --json` shows), FD the
 * records the CLI acts on (ready, every stats, link, error), so the CLI never
 * touches the packets' bytes. Without it, stdout gets every record. */
enum sw_rec_kind {
	SW_W_PACKET = 1 << 0,
	SW_W_FLOW = 1 << 1,
	SW_W_READY = 1 << 2,
	SW_W_STATS = 1 << 3,          /* every stats record */
	SW_W_CLOSING_STATS = 1 << 4,  /* only the final one, and each flow interval's */
	SW_W_LINK = 1 << 5,
	SW_W_ERROR = 1 << 6,
	SW_W_ALL = SW_W_PACKET | SW_W_FLOW | SW_W_READY | SW_W_STATS | SW_W_LINK | SW_W_ERROR,
	SW_W_DATA = SW_W_PACKET | SW_W_FLOW | SW_W_CLOSING_STATS | SW_W_LINK,
	SW_W_CONTROL = SW_W_READY | SW_W_STATS | SW_W_LINK | SW_W_ERROR,
};

/* What a packet record's text from "ifindex" to the ports depends on (ndjson.c) */
struct nd_l3_key {
	__u8 saddr[16], daddr[16];
	__u32 ifindex;
	__u16 ethertype, sport, dport;
	__u8 dir, family, proto, llc, ports, pad[3];
};

/* The NDJSON writer: records as docs/events.md describes them, into an out. */
struct ndjson_writer {
	struct out *out;
	const struct ifnames *names;
	const struct sw_clock *clock;
	bool macs; /* --macs: smac and dmac in packet records */
	struct owners *owners; /* NULL with --no-process: no owner fields */
	/* the owner fields last written, as written: a flow's packets reuse them */
	struct sw_event_owner last_who;
	uint64_t last_cgroup_gen;
	size_t last_len;
	char last[1536];
	/* the same for the interface, addresses and ports, and for the whole
	 * seconds of the time stamp (a flood's records repeat both) */
	struct nd_l3_key l3_key;
	unsigned long l3_names;
	size_t l3_len;
	char l3[384];
	uint64_t ts_sec;
	size_t ts_len;
	char ts[24];
	unsigned int kinds; /* enum sw_rec_kind: the records it writes */
	/* --data: packet records carry their bytes from the network-layer
	 * header on (what tcpdump -X shows), in hex */
	bool data;
	__u32 data_max;     /* the most bytes a record carries (0: libpcap's largest, 262144) */
	/* A file read (sidecar/read/): owner fields null, and per packet */
	bool file;
	const char *ifname; /* the interface's name as the file gives it */
	__u32 data_skip;    /* the cooked header before the frame (SLL, SLL2, NULL) */
};

extern const struct sw_writer_ops ndjson_ops;

/* The text writer (text.c): packets as `sockwatch capture` prints them in a
 * pipe, tcpdump -n's lines; nothing else (the control records go to --control). */
enum text_dump { TEXT_DUMP_NONE, TEXT_DUMP_HEX, TEXT_DUMP_ASCII };
struct text_writer {
	struct out *out;
	const struct ifnames *names;
	const struct sw_clock *clock;
	int stamp;          /* how many -t: 0 time of day, 1 none, 2 epoch, 3 since the previous, 4 date and time, 5 since the first */
	bool link;          /* -e: MACs, ethertype and frame length first */
	bool owners;        /* attribution on: " (comm/pid <- peer/pid)" after a packet with an owner */
	enum text_dump dump; /* -X, -A: the bytes after the line (the run captures them) */
	__u32 data_max;     /* the most bytes a packet brings (0: 262144) */
	const char *ifname; /* a file read: the interface's name as the file gives it */
	__u32 data_skip;    /* a file read: the cooked header before the frame */
	/* -ttt, -ttttt */
	bool started;
	uint64_t first_us, prev_us;
	/* the local time of the last second printed, up to its '.' */
	long long local_sec;
	int local_len;
	char local[40];
	/* the owner suffix last written, as written */
	struct sw_event_owner last_who;
	size_t last_len;
	char last[96];
};

/* Reads TZ and resets what a run remembers. */
void text_writer_init(struct text_writer *w);
extern const struct sw_writer_ops text_ops;

/* The capture-file writer (-w): pcapng, or classic pcap with --pcap (docs/pcap.md). */
#define CAP_MAX_IFS 1024
struct cap_if {
	unsigned int ifindex;
	uint16_t linktype;       /* PCAPNG_LINKTYPE_* */
	uint64_t written, drops; /* in the current file */
};
struct cap_writer {
	struct savefile file;
	bool ng;
	uint32_t snaplen;
	uint32_t linktype;      /* classic pcap: the file's one link type */
	const struct ifnames *names;
	const struct sw_clock *clock;
	struct owners *owners;  /* NULL: no process options */
	/* the last packet's owner and its comment, as written: a flow's packets reuse it */
	struct sw_owner last_owner;
	uint64_t last_cgroup_gen;
	char last_comment[PCAPNG_COMMENT_MAX + 1];
	struct cap_if ifs[CAP_MAX_IFS]; /* pcapng: the current file's interfaces, by IDB number */
	uint32_t n_ifs, last;
	uint64_t start_ns;      /* the current file's first moment (wall clock) */
	uint64_t drops_carried; /* sum of the drops records carried, the whole run */
	bool done;              /* -G -W: the last file is closed */
	int err;                /* the first write error */
	char why[PATH_MAX + 128];
};

/* Opens the first file (or takes stdout for '-') and writes its header; -errno with a sentence. */
int cap_writer_open(struct cap_writer *w, const struct sw_opts *o, unsigned int fixed_linktype, struct out *std_out,
		    char *why, size_t size);
/* Ends the last file (its statistics, with pcapng) and closes it. */
int cap_writer_close(struct cap_writer *w);

extern const struct sw_writer_ops cap_ops;

#endif
