// SPDX-License-Identifier: MIT
/*
 * Exact accounting: the program counts every packet, and puts its record and
 * flow, in the generation it read at the start of its run. To read one, the
 * engine flips the generation, waits until every run that may have seen the
 * old value has ended (an RCU grace period: socket filters run inside RCU
 * read-side sections), then reads the old generation's counters and flow
 * table while nothing writes to them, and zeroes them for its next turn.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "engine.h"
#include "flows.h"
#include "sockwatch.skel.h"

/* Waits for an RCU grace period: MEMBARRIER_CMD_GLOBAL is synchronize_rcu().
 * Where it is not available (nohz_full CPUs), replacing an element of a
 * map-in-map makes the kernel wait for the same thing before it returns. */
static int grace_period(struct engine *e)
{
	int inner, outer, err;
	__u32 zero = 0;

	if (!syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0))
		return 0;
	inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	if (inner < 0)
		return -errno;
	LIBBPF_OPTS(bpf_map_create_opts, opts, .inner_map_fd = inner);
	outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, NULL, 4, 4, 1, &opts);
	err = outer < 0 ? -errno : bpf_map_update_elem(outer, &zero, &inner, BPF_ANY) ? -errno : 0;
	if (outer >= 0)
		close(outer);
	close(inner);
	engine_log(e, "membarrier unavailable: waited for readers with a map-in-map update");
	return err;
}

int generations_init(struct engine *e)
{
	uint32_t cap = e->opts.flows ? e->opts.flow_entries : 0;

	memset(&e->report, 0, sizeof(e->report));
	if (!cap)
		return 0;
	e->report.keys = calloc(cap, sizeof(*e->report.keys));
	e->report.vals = calloc(cap, sizeof(*e->report.vals));
	return e->report.keys && e->report.vals ? 0 : -ENOMEM;
}

/* Sums one generation's per-CPU counters, then zeroes them. */
static int take_counters(int map_fd, __u32 gen, struct sw_counters *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct sw_counters *vals;
	int err = 0;

	memset(sum, 0, sizeof(*sum));
	if (ncpu <= 0)
		return ncpu;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &gen, vals)) {
		err = -errno;
		goto cleanup;
	}
	for (int i = 0; i < ncpu; i++) {
		sum->seen += vals[i].seen;
		sum->matched += vals[i].matched;
		sum->matched_bytes += vals[i].matched_bytes;
		sum->emitted += vals[i].emitted;
		sum->dropped += vals[i].dropped;
		sum->overflow += vals[i].overflow;
		sum->overflow_bytes += vals[i].overflow_bytes;
	}
	memset(vals, 0, ncpu * sizeof(*vals));
	if (bpf_map_update_elem(map_fd, &gen, vals, BPF_ANY))
		err = -errno;
cleanup:
	free(vals);
	return err;
}

static void add(struct sw_counters *t, const struct sw_counters *c)
{
	t->seen += c->seen;
	t->matched += c->matched;
	t->matched_bytes += c->matched_bytes;
	t->emitted += c->emitted;
	t->dropped += c->dropped;
	t->overflow += c->overflow;
	t->overflow_bytes += c->overflow_bytes;
}

int generation_read(struct engine *e, bool final)
{
	struct gen_report *r = &e->report;
	__u32 old = e->generation & 1;
	struct sw_counters c;
	long n = 0;
	int err;

	e->generation ^= 1;
	e->skel->bss->generation = e->generation;
	err = grace_period(e);
	if (err)
		return err;
	err = take_counters(bpf_map__fd(e->skel->maps.counters), old, &c);
	if (err)
		return err;
	if (e->opts.flows) {
		n = flows_read(bpf_map__fd(old ? e->skel->maps.flows1 : e->skel->maps.flows0), r->keys, r->vals,
			       e->opts.flow_entries);
		if (n < 0)
			return n;
	}
	add(&e->totals, &c);
	r->n_flows = n;
	r->next_flow = 0;
	r->final = final;
	r->pending = true;
	return 0;
}
