// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "flows.h"
#include "records.h"

#define BATCH 1024

/* Sums one key's per-CPU values. */
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
	}
}

long flows_drain(int map_fd, struct out *o)
{
	int ncpu = libbpf_num_possible_cpus();
	struct sw_flow_key *keys = NULL;
	struct sw_flow_val *vals = NULL, sum;
	__u32 in_batch, out_batch, count;
	bool first = true;
	long written = 0;
	int err = 0;

	if (ncpu <= 0)
		return ncpu;
	keys = calloc(BATCH, sizeof(*keys));
	vals = calloc((size_t)BATCH * ncpu, sizeof(*vals));
	if (!keys || !vals) {
		err = -ENOMEM;
		goto cleanup;
	}
	for (;;) {
		count = BATCH;
		err = bpf_map_lookup_and_delete_batch(map_fd, first ? NULL : &in_batch, &out_batch,
						      keys, vals, &count, NULL);
		if (err && err != -ENOENT)
			goto cleanup;
		for (__u32 i = 0; i < count; i++) {
			sum_cpus(&vals[(size_t)i * ncpu], ncpu, &sum);
			if (!sum.packets)
				continue;
			if (out_room(o)) {
				err = -EPIPE;
				goto cleanup;
			}
			rec_flow(o, &keys[i], &sum);
			written++;
		}
		if (err == -ENOENT) /* the end of the map */
			break;
		in_batch = out_batch;
		first = false;
	}
	err = 0;
cleanup:
	free(keys);
	free(vals);
	return err ? err : written;
}
