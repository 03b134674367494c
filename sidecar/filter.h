/* SPDX-License-Identifier: MIT */
/* --filter: the expression, compiled by libpcap per link type, translated to
 * the eBPF that replaces the kernel program's stub (docs/filters.md). */
#ifndef SW_FILTER_H
#define SW_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "pcapfilter.h"

struct bpf_insn;

struct sw_filter_code {
	struct pcapf pcap;
	struct bpf_insn *ebpf; /* the stub's new body */
	size_t n;
};

/* Link types a capture needs the filter for: a bit per SW_LINKTYPE_*. */
#define FILTER_NEEDS(linktype) (1u << (linktype))

/*
 * Compiles and translates expr. Returns 0; -1 when the expression is not valid
 * on a link type the capture needs, or -2 when it cannot be translated, with
 * one sentence in err.
 */
int filter_build(const char *expr, unsigned int needs, struct sw_filter_code *out, char *err, size_t errlen);
/* --explain: the programs as tcpdump -d prints them, and where they run. */
int filter_explain(const char *expr, FILE *to, char *err, size_t errlen);
void filter_free(struct sw_filter_code *f);

#endif
