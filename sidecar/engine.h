/* SPDX-License-Identifier: MIT */
/*
 * The running engine: one struct, handed to every part as its context. No
 * part keeps state of its own in file-level variables.
 *
 *   options.c   flags → struct sw_opts
 *   load.c      open → configure → load (the skeleton), libbpf's log
 *   filter.c    --filter: libpcap (pcapfilter.c) → eBPF (cbpf.c) → the stub (inject.c)
 *   linktypes.c which compiled filter a device's packets get
 *   sockets.c   packet sockets: open, attach, close; the loopback; capabilities
 *   links.c     rtnetlink: link dumps and events, checked
 *   ifnames.c   ifindex → name, owned by the loop, fed by links.c
 *   generations.c  flip the generation, wait out readers, read the old one
 *   flows.c     read a flow table (batched lookup-and-delete), no writing
 *   writer.h    one decoded event → every writer the run asked for
 *   ndjson.c    the NDJSON writer (docs/events.md)
 *   capwriter.c the capture-file writer (-w): pcapng.c or pcap.c blocks into savefile.c's files
 *   out.c       the output buffer, non-blocking
 *   loop.c      the event loop: ring, signals, links, stdout, timers
 *   budget.c    how much kernel memory a user other than root may pin
 *   privilege.c refuse what is over that budget; give up capabilities once attached
 *   owner.c     whose traffic: on or off, cgroup hooks, the process filter
 *   owner_seed.c  owners of the sockets open before the start
 *   cgroups.c   cgroup v2: the mount, id → path, path → container
 *   main.c      wires them together
 */
#ifndef SW_ENGINE_H
#define SW_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "../bpf/sockwatch.h"
#include "ifnames.h"
#include "links.h"
#include "options.h"
#include "owner.h"
#include "sw_contract.h"
#include "out.h"
#include "writer.h"

/* Exit codes (enum sw_exit: EXIT_OK … EXIT_KERNEL) and limits come from the
 * generated sw_contract.h (src/contract/contract.ts). */
#define OUT_BUFFER (4 << 20)
#define CTL_BUFFER (256 << 10)
#define VERIFIER_LOG (1 << 20)
#define MAX_WRITERS 4

struct sockwatch_bpf;
struct ring_buffer;

/* A generation read and waiting to be written: its flows, then its stats. */
struct gen_report {
	bool pending;
	bool final;
	struct sw_flow_key *keys; /* capacity: flow_entries */
	struct sw_flow_val *vals; /* summed over CPUs */
	uint32_t n_flows, next_flow;
};

struct engine {
	struct sw_opts opts;
	struct sockwatch_bpf *skel;
	struct ring_buffer *rb;
	char *verifier_log;

	/* what is captured: named interfaces (none: every interface) */
	struct sw_iface ifaces[MAX_IFACES];
	int n_ifaces;
	enum sw_link_state link_state[MAX_IFACES];
	int socks[MAX_IFACES];
	int n_socks, live_ifaces;
	unsigned int loopback;

	int epfd, sigfd, linkfd;
	struct out out;          /* stdout */
	struct out ctl;          /* --control: the CLI's records (ctl.fd -1: none) */
	struct ifnames names;
	struct sw_clock clock;
	struct sw_writer writers[MAX_WRITERS];
	int n_writers;
	struct ndjson_writer ndjson, ctl_ndjson;
	struct text_writer text; /* --text: stdout's writer instead of ndjson */
	struct cap_writer cap;   /* -w: opened once capabilities are given up */
	bool writer_ended;       /* a writer's output failed or is done: said once */
	struct owners owners;    /* whose traffic: owner.c */

	/* accounting: totals of the generations read so far */
	uint32_t generation;
	struct sw_counters totals;
	uint64_t written, flow_records, flow_packets;
	struct gen_report report;
	unsigned int budget;    /* records this drain pass may still take */

	/* the loop */
	uint64_t deadline_ms, next_report_ms, signal_ms;
	uint64_t drain_due_ms, last_drain_ms; /* drain_due_ms 0: idle, the kernel wakes us */
	bool exiting, detached, aborting;
	bool out_pollable, out_watched; /* stdout in the epoll set; EPOLLOUT asked for */
	bool ctl_pollable, ctl_watched;
	int out_errno;  /* with --control: stdout failed (the run ends, the CLI is told) */
	bool out_said;
	const char *why;
	int exit_code;
};

/* An error record (every writer) and one sentence on stderr; returns exit_code. */
int engine_fail(struct engine *e, int exit_code, const char *code, const char *detail, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* One line of -v on stderr. */
void engine_log(const struct engine *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* load.c */
int engine_load(struct engine *e);
/* sockets.c */
unsigned int find_loopback(void);
int engine_attach(struct engine *e);
void engine_detach(struct engine *e);
const char *missing_caps(void);
/* privilege.c: before load, sizes over the budget are refused (a default flow
 * table shrinks to fit); after attach, every capability is given up. */
int engine_check_budget(struct engine *e);
int engine_drop_privileges(struct engine *e);
/* generations.c */
int generations_init(struct engine *e);
int generation_read(struct engine *e, bool final);
/* engine.c */
int engine_start(struct engine *e);
void engine_close(struct engine *e);
/* Link changes waiting (or, at start, a dump of every link): names, states. */
void engine_links(struct engine *e, bool start);
int engine_fail_perm(struct engine *e, const char *what, int err);
void engine_set_libbpf_log(int verbose);
/* loop.c */
int engine_poll_setup(struct engine *e);
int engine_ring_record(void *ctx, void *data, size_t size);
int engine_run(struct engine *e);
/* clock.c: kernel stamps to wall time, anchored again at every report */
void clock_anchor(struct sw_clock *c);

uint64_t now_ms(void);

#endif
