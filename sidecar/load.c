// SPDX-License-Identifier: MIT
/* open → configure → load: the skeleton, its rodata and map sizes. */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "engine.h"
#include "filter.h"
#include "inject.h"
#include "linktypes.h"
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

/* The link types this capture can see, so a filter must compile for them. */
static unsigned int filter_needs(const struct engine *e, unsigned int fixed)
{
	if (fixed)
		return FILTER_NEEDS(fixed);
	if (!e->n_ifaces)
		return FILTER_NEEDS(SW_LINKTYPE_ETHER) | FILTER_NEEDS(SW_LINKTYPE_RAW);
	unsigned int needs = 0;

	for (int i = 0; i < e->n_ifaces; i++)
		needs |= FILTER_NEEDS(linktype_of_ifindex(e->ifaces[i].ifindex));
	return needs;
}

/* --filter → libpcap → eBPF, ready to replace the stub at load. */
static int build_filter(struct engine *e, struct sw_filter_code *code, unsigned int fixed)
{
	char msg[768];
	int err;

	err = filter_build(e->opts.filter, filter_needs(e, fixed), code, msg, sizeof(msg));
	if (err == -1)
		return engine_fail(e, EXIT_USAGE, "bad_filter", NULL, "%s", msg);
	if (err)
		return engine_fail(e, EXIT_RUNTIME, "runtime", NULL, "%s", msg);
	engine_log(e, "filter: %s, compiled by libpcap for %s%s, %zu eBPF instructions, run before any parsing",
		   e->opts.filter, pcapf_has(&code->pcap, SW_LINKTYPE_ETHER) ? "Ethernet" : "",
		   pcapf_has(&code->pcap, SW_LINKTYPE_RAW) ? " and raw-IP devices" : "", code->n);
	if ((filter_needs(e, fixed) & FILTER_NEEDS(SW_LINKTYPE_RAW)) && !pcapf_has(&code->pcap, SW_LINKTYPE_RAW))
		engine_log(e, "on raw-IP devices the filter matches nothing: %s", code->pcap.why[SW_LINKTYPE_RAW - 1]);
	return 0;
}

/* A BTF with no types, in a memfd: what libbpf reads as the target kernel's
 * when nothing loaded has a CO-RE relocation to resolve; -1 when it cannot. */
static int empty_btf_fd(void)
{
	struct btf *btf = btf__new_empty();
	const void *raw;
	__u32 size;
	int fd;

	if (libbpf_get_error(btf))
		return -1;
	raw = btf__raw_data(btf, &size);
	fd = memfd_create("sockwatch-empty-btf", MFD_CLOEXEC);
	if (fd >= 0 && (!raw || write(fd, raw, size) != (ssize_t)size)) {
		close(fd);
		fd = -1;
	}
	btf__free(btf);
	return fd;
}

int engine_load(struct engine *e)
{
	const struct sw_opts *o = &e->opts;
	struct sw_filter_code code = { 0 };
	struct sw_inject inj = { 0 };
	unsigned int fixed = linktypes_fixed(e);
	int err, handler = 0, empty_btf = -1;
	char btf_path[64];

	if (o->filter) {
		err = build_filter(e, &code, fixed);
		if (err)
			goto cleanup;
		inj.code = code.ebpf;
		inj.n = code.n;
		/* before open: libbpf picks a program's handler when it opens the object */
		handler = inject_register(&inj);
		if (handler < 0) {
			err = engine_fail(e, EXIT_RUNTIME, "runtime", NULL, "could not hook the filter into libbpf: %s",
					  strerror(-handler));
			goto cleanup;
		}
	}
	e->verifier_log = calloc(1, VERIFIER_LOG);
	if (!e->verifier_log) {
		err = engine_fail(e, EXIT_RUNTIME, "runtime", NULL, "out of memory");
		goto cleanup;
	}
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .kernel_log_buf = e->verifier_log,
		    .kernel_log_size = VERIFIER_LOG);
	/* libbpf parses the kernel's BTF (~11 ms, 5 MB) for an object with CO-RE
	 * relocations; only the fentry/kprobe route's programs have any, and off
	 * that route they are not loaded (nor relocated): an empty BTF stands in */
	e->owners.cg_err = cgroups_init(&e->owners.cg); /* which route: owner_configure */
	if (!owner_route_may_fall_back(e) && (empty_btf = empty_btf_fd()) >= 0) {
		snprintf(btf_path, sizeof(btf_path), "/proc/self/fd/%d", empty_btf);
		/* libbpf opens it by name at load: without /proc, the kernel's BTF after all */
		if (!access(btf_path, R_OK))
			open_opts.btf_custom_path = btf_path;
	}
	e->skel = sockwatch_bpf__open_opts(&open_opts);
	if (!e->skel) {
		err = engine_fail(e, EXIT_RUNTIME, "open_failed", NULL, "could not open the eBPF object: %s",
				  strerror(errno));
		goto cleanup;
	}
	inj.btf = bpf_object__btf(e->skel->obj);

	e->loopback = find_loopback();
	e->clock.tai = libbpf_probe_bpf_helper(BPF_PROG_TYPE_SOCKET_FILTER, BPF_FUNC_ktime_get_tai_ns, NULL) == 1;
	e->skel->rodata->loopback_ifindex = e->loopback;
	e->skel->rodata->wakeup_bytes = o->ring_size / 4;
	e->skel->rodata->test_reject = o->test_reject;
	e->skel->rodata->emit_packets = o->packets;
	e->skel->rodata->count_flows = o->flows;
	e->skel->rodata->clock_tai = e->clock.tai;
	e->skel->rodata->has_filter = o->filter != NULL;
	e->skel->rodata->fixed_linktype = fixed;
	e->skel->rodata->snaplen = o->snaplen;
	err = owner_configure(e);
	if (err)
		goto cleanup;
	/* what a switch leaves off still exists, at its smallest */
	err = bpf_map__set_max_entries(e->skel->maps.events, o->packets ? o->ring_size : 4096);
	if (err) {
		err = engine_fail(e, EXIT_RUNTIME, "ring_size", NULL, "could not size the ring buffer: %s",
				  strerror(-err));
		goto cleanup;
	}
	err = bpf_map__set_max_entries(e->skel->maps.flows0, o->flows ? o->flow_entries : 1);
	err = err ?: bpf_map__set_max_entries(e->skel->maps.flows1, o->flows ? o->flow_entries : 1);
	if (err) {
		err = engine_fail(e, EXIT_RUNTIME, "flow_table", NULL, "could not size the flow tables: %s",
				  strerror(-err));
		goto cleanup;
	}

	err = sockwatch_bpf__load(e->skel);
	if (!err) {
		if (o->filter)
			engine_log(e, "the filter replaced %s: the program has %zu instructions", SW_FILTER_STUB,
				   inj.total);
		/* every interface: which devices are not Ethernet (links keep it up to date) */
		if (o->filter && !fixed)
			linktypes_fill(e);
		goto cleanup;
	}
	if (inj.err[0]) {
		err = engine_fail(e, EXIT_RUNTIME, "runtime", NULL, "could not put the filter in the eBPF program: %s",
				  inj.err);
	} else if (e->verifier_log[0]) {
		if (e->opts.verbose)
			fprintf(stderr, "%s", e->verifier_log);
		err = engine_fail(e, EXIT_KERNEL, "load_failed", last_lines(e->verifier_log, 6),
				  "the kernel's verifier refused the eBPF program; its last lines follow "
				  "(run with -v for the whole log)");
	} else if (err == -EPERM || err == -EACCES) {
		err = engine_fail_perm(e, "loading the eBPF program failed", -err);
	} else {
		err = engine_fail(e, EXIT_KERNEL, "load_failed", NULL,
				  "the kernel refused the eBPF program or one of its maps (%s); run with -v for libbpf's log",
				  strerror(-err));
	}
cleanup:
	if (empty_btf >= 0)
		close(empty_btf);
	inject_unregister(handler);
	inject_free(&inj);
	filter_free(&code);
	return err;
}
