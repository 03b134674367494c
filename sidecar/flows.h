/* SPDX-License-Identifier: MIT */
/* Reads a flow table out of the kernel: reading a map is one job, writing
 * records another (libbpf-tools' dump_hash is the model). */
#ifndef SW_FLOWS_H
#define SW_FLOWS_H

#include <stdint.h>
#include <linux/types.h>
#include "../bpf/sockwatch.h"

/* Moves every flow out of map_fd (batched lookup-and-delete, or one by one
 * where the kernel lacks batches) into keys/vals, each value summed over the
 * CPUs; at most cap flows. Returns how many, or -errno. Nothing may write to
 * the map meanwhile: the engine reads only a generation nobody uses. */
long flows_read(int map_fd, struct sw_flow_key *keys, struct sw_flow_val *vals, uint32_t cap);

#endif
