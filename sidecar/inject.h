/* SPDX-License-Identifier: MIT */
/*
 * Puts the translated filter in place of the kernel program's stub function
 * (sw_pcap_filter) at load time: libbpf calls us once it has linked the
 * program's functions, just before it hands the instructions to the kernel.
 */
#ifndef SW_INJECT_H
#define SW_INJECT_H

#include <stddef.h>
#include <bpf/libbpf.h>

#define SW_FILTER_STUB "sw_pcap_filter"

struct sw_inject {
	const struct bpf_insn *code; /* the stub's new body */
	size_t n;
	const struct btf *btf;       /* the object's, to find the stub by name */
	/* copies handed to the kernel in place of libbpf's, owned here */
	void *func_info, *line_info;
	size_t total;                /* the program's instructions after the splice */
	char err[256];
};

/* Registers the load-time hook for SEC("socket") programs; returns its id (>0) or -errno. */
int inject_register(struct sw_inject *inj);
void inject_unregister(int id);
void inject_free(struct sw_inject *inj);

#endif
