/* SPDX-License-Identifier: MIT */
/* A filter expression compiled by libpcap, once per link type the capture can see. */
#ifndef SW_PCAPFILTER_H
#define SW_PCAPFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "cbpf.h"

#define PCAPF_LINKTYPES 2

struct pcapf {
	const char *expr;
	/* per SW_LINKTYPE_ETHER and SW_LINKTYPE_RAW (index linktype - 1) */
	struct sw_cbpf_insn *insns[PCAPF_LINKTYPES];
	size_t len[PCAPF_LINKTYPES];
	char why[PCAPF_LINKTYPES][256]; /* libpcap's reason, when it did not compile */
};

/* Compiles expr for each link type as tcpdump -r would (optimised, netmask 0).
 * Returns how many link types it compiled for; the reasons of the others are in why. */
int pcapf_compile(struct pcapf *f, const char *expr);
bool pcapf_has(const struct pcapf *f, unsigned int linktype);
/* The classic programs, ready for cbpf_translate(); returns how many. */
int pcapf_programs(const struct pcapf *f, struct sw_cbpf_prog *out);
/* Each program, as `tcpdump -d` prints it. */
void pcapf_dump(const struct pcapf *f, FILE *to);
const char *pcapf_linktype_name(unsigned int linktype);
/* "libpcap version 1.10.3 (...)" */
const char *pcapf_version(void);
void pcapf_free(struct pcapf *f);

#endif
