// SPDX-License-Identifier: MIT
/* open → configure → load: the skeleton, its rodata and map sizes. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "engine.h"
#include "filter.h"
#include "sockwatch.skel.h"

/* libbpf's own messages, by verbosity: which function is set says the level,
 * so nothing needs a global. The verifier's log goes to the engine's buffer. */
static int print_none(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return 0;
}

static int print_info(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return level == LIBBPF_DEBUG ? 0 : vfprintf(stderr, fmt, args);
}

static int print_all(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return vfprintf(stderr, fmt, args);
}

void engine_set_libbpf_log(int verbose)
{
	libbpf_set_print(verbose >= 2 ? print_all : verbose ? print_info : print_none);
}

/* The last few lines of the verifier's log: its verdict is at the end. */
static const char *last_lines(const char *log, int lines)
{
	const char *p = log + strlen(log);

	while (p > log && lines >= 0) {
		p--;
		if (*p == '\n' && p[1])
			lines--;
	}
	return p == log ? p : p + 1;
}

static int parse_clauses(struct engine *e, struct sw_filter *f)
{
	char msg[512];
	int err;

	for (int i = 0; i < e->opts.n_clauses; i++) {
		err = filter_add_clause(f, e->opts.clauses[i], msg, sizeof(msg));
		if (err == -2)
			return engine_fail(e, EXIT_NOIF, "no_such_interface", NULL, "%s", msg);
		if (err) {
			fprintf(stderr, "sockwatch-sidecar: %s\n", msg);
			return EXIT_USAGE;
		}
	}
	return 0;
}

int engine_load(struct engine *e)
{
	const struct sw_opts *o = &e->opts;
	struct sw_filter filter = { 0 };
	int err;

	err = parse_clauses(e, &filter);
	if (err)
		return err;
	e->verifier_log = calloc(1, VERIFIER_LOG);
	if (!e->verifier_log)
		return engine_fail(e, EXIT_RUNTIME, "runtime", NULL, "out of memory");
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .kernel_log_buf = e->verifier_log,
		    .kernel_log_size = VERIFIER_LOG);
	e->skel = sockwatch_bpf__open_opts(&open_opts);
	if (!e->skel)
		return engine_fail(e, EXIT_RUNTIME, "open_failed", NULL, "could not open the eBPF object: %s",
				   strerror(errno));

	e->loopback = find_loopback();
	e->clock.tai = libbpf_probe_bpf_helper(BPF_PROG_TYPE_SOCKET_FILTER, BPF_FUNC_ktime_get_tai_ns, NULL) == 1;
	e->skel->rodata->loopback_ifindex = e->loopback;
	e->skel->rodata->wakeup_bytes = o->ring_size / 4;
	e->skel->rodata->test_reject = o->test_reject;
	e->skel->rodata->emit_packets = o->packets;
	e->skel->rodata->count_flows = o->flows;
	e->skel->rodata->clock_tai = e->clock.tai;
	memcpy((void *)&e->skel->rodata->filter, &filter, sizeof(filter));
	err = owner_configure(e);
	if (err)
		return err;
	/* what a switch leaves off still exists, at its smallest */
	err = bpf_map__set_max_entries(e->skel->maps.events, o->packets ? o->ring_size : 4096);
	if (err)
		return engine_fail(e, EXIT_RUNTIME, "ring_size", NULL, "could not size the ring buffer: %s",
				   strerror(-err));
	err = bpf_map__set_max_entries(e->skel->maps.flows0, o->flows ? o->flow_entries : 1);
	err = err ?: bpf_map__set_max_entries(e->skel->maps.flows1, o->flows ? o->flow_entries : 1);
	if (err)
		return engine_fail(e, EXIT_RUNTIME, "flow_table", NULL, "could not size the flow tables: %s",
				   strerror(-err));

	err = sockwatch_bpf__load(e->skel);
	if (!err)
		return 0;
	if (e->verifier_log[0]) {
		if (e->opts.verbose)
			fprintf(stderr, "%s", e->verifier_log);
		return engine_fail(e, EXIT_KERNEL, "load_failed", last_lines(e->verifier_log, 6),
				   "the kernel's verifier refused the eBPF program; its last lines follow "
				   "(run with -v for the whole log)");
	}
	if (err == -EPERM || err == -EACCES)
		return engine_fail_perm(e, "loading the eBPF program failed", -err);
	return engine_fail(e, EXIT_KERNEL, "load_failed", NULL,
			   "the kernel refused the eBPF program or one of its maps (%s); run with -v for libbpf's log",
			   strerror(-err));
}
