// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "flows.h"

#ifndef ENOTSUPP
#define ENOTSUPP 524 /* the kernel's own, for an operation a map type lacks */
#endif

#define BATCH 1024

/* Sums one key's per-CPU values (ORs their TCP flags). */
static void sum_cpus(const struct sw_flow_val *vals, int ncpu, struct sw_flow_val *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (int c = 0; c < ncpu; c++) {
		const struct sw_flow_val *v = &vals[c];

		if (!v->packets)
			continue;
		sum->packets += v->packets;
		sum->bytes += v->bytes;
		if (!sum->first_ns || v->first_ns < sum->first_ns)
			sum->first_ns = v->first_ns;
		if (v->last_ns > sum->last_ns)
			sum->last_ns = v->last_ns;
		/* flags are seen, not counted: the flow's are every CPU's */
		sum->tcp_flags |= v->tcp_flags;
		sum->has_tcp_flags |= v->has_tcp_flags;
	}
}

/* Where the kernel has no batch operations for this map: walk and delete. */
static long read_one_by_one(int map_fd, struct sw_flow_key *keys, struct sw_flow_val *vals, uint32_t cap,
			    struct sw_flow_val *percpu, int ncpu)
{
	struct sw_flow_key key;
	long n = 0;

	while (n < cap && !bpf_map_get_next_key(map_fd, NULL, &key)) {
		if (bpf_map_lookup_elem(map_fd, &key, percpu) || bpf_map_delete_elem(map_fd, &key))
			return -errno;
		sum_cpus(percpu, ncpu, &vals[n]);
		keys[n++] = key;
	}
	return n;
}

long flows_read(int map_fd, struct sw_flow_key *keys, struct sw_flow_val *vals, uint32_t cap)
{
	int ncpu = libbpf_num_possible_cpus();
	struct sw_flow_val *percpu = NULL;
	__u32 in_batch, out_batch, count;
	bool first = true;
	long n = 0;
	int err = 0;

	if (ncpu <= 0)
		return ncpu;
	percpu = calloc((size_t)BATCH * ncpu, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	while (n < cap) {
		count = cap - n < BATCH ? cap - n : BATCH;
		err = bpf_map_lookup_and_delete_batch(map_fd, first ? NULL : &in_batch, &out_batch,
						      &keys[n], percpu, &count, NULL);
		if (err && err != -ENOENT) {
			if (first && (err == -EINVAL || err == -ENOTSUPP || err == -EOPNOTSUPP)) {
				n = read_one_by_one(map_fd, keys, vals, cap, percpu, ncpu);
				err = 0;
			}
			break;
		}
		for (__u32 i = 0; i < count; i++)
			sum_cpus(&percpu[(size_t)i * ncpu], ncpu, &vals[n + i]);
		n += count;
		if (err == -ENOENT) { /* the end of the map */
			err = 0;
			break;
		}
		in_batch = out_batch;
		first = false;
	}
	free(percpu);
	return err ? err : n;
}
