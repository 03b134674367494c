// SPDX-License-Identifier: MIT
/* Kernel memory a run pins, and how much a user other than root may pin.
 * BPF maps are not charged to RLIMIT_MEMLOCK on current kernels, so without
 * this a member of the sockwatch group could pin gigabytes with one flag. */
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/types.h>
#include "budget.h"
#include "options.h"

static unsigned long long round_up(unsigned long long v, unsigned long long to)
{
	return (v + to - 1) / to * to;
}

static unsigned long long pow2_at_least(unsigned long long v)
{
	unsigned long long p = 1;

	while (p < v)
		p <<= 1;
	return p;
}

unsigned long long budget_ring_bytes(unsigned long long ring_size)
{
	const unsigned long long page = (unsigned long long)sysconf(_SC_PAGESIZE);

	/* kernel/bpf/ringbuf.c: the data pages, the consumer and producer pages,
	 * and the page array (a little over what the kernel reports, never under) */
	return ring_size + 4 * page + (ring_size / page + 2) * 16;
}

unsigned long long budget_flow_table_bytes(unsigned long long entries, size_t key_size, size_t value_size,
					   int ncpus)
{
	/* kernel/bpf/hashtab.c, pre-allocated per-CPU hash: an element (its
	 * header, the key, a per-CPU pointer), a value on every possible CPU, and
	 * a power-of-two bucket array */
	const unsigned long long elem = 48 + round_up(key_size, 8) + 8;
	const unsigned long long percpu = round_up(value_size, 8) * (unsigned long long)ncpus;

	return entries * (elem + percpu) + pow2_at_least(entries) * 16;
}

unsigned long long budget_hash_bytes(unsigned long long entries, size_t key_size, size_t value_size)
{
	/* the element header, the key and the value inline, and the bucket array
	 * (the owner maps: 144 and 184 bytes an entry, as bpftool reports) */
	const unsigned long long elem = 48 + round_up(key_size, 8) + round_up(value_size, 8);

	return entries * elem + pow2_at_least(entries) * 16;
}

/* "memory_budget = 256M" lines; '#' starts a comment. */
static int parse_config(FILE *f, unsigned long long *bytes, bool *set, char *why, size_t size)
{
	char line[256], key[64], value[64];
	int n = 0;

	while (fgets(line, sizeof(line), f)) {
		char *p = line;

		n++;
		p[strcspn(p, "#\n")] = 0;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			continue;
		if (sscanf(p, "%63[a-z_] = %63s", key, value) != 2 || strcmp(key, "memory_budget") ||
		    options_parse_size(value, bytes) || *bytes == 0) {
			snprintf(why, size, "line %d is not 'memory_budget = SIZE' (K/M/G suffixes)", n);
			return -1;
		}
		*set = true;
	}
	return 0;
}

void budget_load(struct sw_budget *b, const char *config_path)
{
	unsigned long long bytes = SW_MEMORY_BUDGET_DEFAULT;
	char why[160] = "";
	bool set = false;
	struct stat st;
	FILE *f;

	*b = (struct sw_budget){ .bytes = SW_MEMORY_BUDGET_DEFAULT, .source = "the default budget" };
	if (getuid() == 0) {
		b->bytes = 0;
		return;
	}
	f = fopen(config_path, "re");
	if (!f) {
		if (errno != ENOENT)
			snprintf(b->warning, sizeof(b->warning), "ignoring %s: %s", config_path, strerror(errno));
		return;
	}
	/* only what root wrote may raise a limit that protects root's machine */
	if (fstat(fileno(f), &st) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
		snprintf(b->warning, sizeof(b->warning), "ignoring %s: only a file that root owns and alone may "
			 "write can set limits", config_path);
	else if (parse_config(f, &bytes, &set, why, sizeof(why)))
		snprintf(b->warning, sizeof(b->warning), "ignoring %s: %s", config_path, why);
	else if (set) {
		b->bytes = bytes;
		b->source = config_path;
	}
	fclose(f);
}
