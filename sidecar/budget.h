/* SPDX-License-Identifier: MIT */
/* The kernel memory one run may pin when it is not root: the ring and the
 * flow tables, per-CPU values counted (docs/privileges.md). */
#ifndef SW_BUDGET_H
#define SW_BUDGET_H

#include <stddef.h>
#include <linux/types.h>

struct sw_budget {
	unsigned long long bytes; /* 0: no limit (root) */
	const char *source;       /* where the figure comes from, for the refusal */
	char warning[256];        /* a config file that was not trusted or not understood */
};

/* Root: no limit. Anyone else: the administrator's config file when root owns it
 * and only root may write it, else SW_MEMORY_BUDGET_DEFAULT. */
void budget_load(struct sw_budget *b, const char *config_path);

/* What the kernel allocates for a ring buffer of ring_size bytes. */
unsigned long long budget_ring_bytes(unsigned long long ring_size);
/* What the kernel allocates for one pre-allocated per-CPU flow table. */
unsigned long long budget_flow_table_bytes(unsigned long long entries, size_t key_size, size_t value_size,
					   int ncpus);
/* What the kernel allocates for one pre-allocated hash (or LRU hash) of values shared by all CPUs. */
unsigned long long budget_hash_bytes(unsigned long long entries, size_t key_size, size_t value_size);

#endif
