/* SPDX-License-Identifier: MIT */
/* The sidecar's flags, parsed once into a struct the engine keeps. */
#ifndef SW_OPTIONS_H
#define SW_OPTIONS_H

#include <stdbool.h>
#include "../bpf/sockwatch.h"

#include "sw_contract.h"

#define MAX_IFACES SW_MAX_INTERFACES
#define MAX_DURATION_S SW_MAX_DURATION_S /* 30 days: anything longer is a typo */

struct sw_opts {
	const char *ifnames[MAX_IFACES];
	int n_ifaces;
	const char *filter;  /* a pcap-filter(7) expression, compiled by libpcap; NULL: every packet */
	bool explain;        /* print the compiled filter and where it runs, then exit */
	unsigned long long ring_size;
	unsigned long long count;
	unsigned long stats_ms;
	unsigned long poll_ms;
	double duration;
	int verbose;       /* -v: decisions and libbpf's warnings; -v -v: libbpf's debug log too */
	bool any;          /* -i any: every interface, as with no -i */
	bool test_reject;
	bool packets;      /* a record a packet (default) */
	bool flows;        /* per-flow counts every --interval */
	bool macs;         /* packet records carry smac/dmac */
	bool data;         /* packet records carry their captured bytes (-X, -A) */
	unsigned long interval_ms;
	unsigned long long flow_entries;
	bool flow_entries_set; /* given: refused past the budget, not fitted to it */
	/* whose traffic (docs/attribution.md) */
	bool no_process;
	unsigned int pids[SW_MAX_PROC_PIDS];
	int n_pids;
	const char *comm;
	const char *cgroups[SW_MAX_PROC_CGROUPS];
	int n_cgroups;
	const char *container;
	unsigned long long owner_entries;
	int owner_route;       /* --owner-route (hidden): SW_ROUTE_*; AUTO: the best the machine has */
	/* -w: packets to a capture file (docs/pcap.md) instead of NDJSON */
	const char *write;     /* --write PATH, '-' for stdout; NULL: none */
	bool pcap;             /* --pcap: classic pcap (nanosecond), else pcapng */
	unsigned long snaplen; /* --snaplen: bytes kept of each packet (0: none, without --write) */
	unsigned long long rotate_bytes; /* -C, in bytes (tcpdump's millions); 0: none */
	unsigned long rotate_s;          /* -G seconds; 0: none */
	unsigned long max_files;         /* -W; 0: none */
	/* --text: tcpdump-like text lines on stdout instead of NDJSON (text.c) */
	bool text;
	int stamp;             /* --stamp N: how many -t (0..5) */
	int dump;              /* --dump: 1 hex (-X), 2 ascii (-A); 0 none */
	int control_fd;        /* --control: ready, stats, link, error records there (-1: all on stdout) */
};

/* What fills the owner maps (docs/attribution.md, "Routes"): cgroup v2 socket
 * hooks, or without a cgroup v2 mount fentry (BTF trampolines) or kprobe programs. */
enum { SW_ROUTE_AUTO, SW_ROUTE_CGROUP, SW_ROUTE_FENTRY, SW_ROUTE_KPROBE, SW_ROUTES };
extern const char *const sw_route_names[SW_ROUTES];

/* Digits with an optional K, M or G suffix (powers of 1024); -1 for anything else. */
int options_parse_size(const char *s, unsigned long long *out);

/* Fills o from argv; on a bad flag argp prints a sentence and exits 2. */
void options_parse(int argc, char **argv, struct sw_opts *o);

#endif
