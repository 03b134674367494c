/* SPDX-License-Identifier: MIT */
/*
 * Classic BPF, as libpcap compiles a filter expression, translated to the
 * eBPF body of the kernel program's sw_pcap_filter(skb, linktype): one
 * classic program per link type, chosen by the linktype argument.
 */
#ifndef SW_CBPF_H
#define SW_CBPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_insn;

/* One classic instruction: the layout of struct sock_filter and libpcap's
 * struct bpf_insn (which clashes by name with the kernel's eBPF one). */
struct sw_cbpf_insn {
	uint16_t code;
	uint8_t jt, jf;
	uint32_t k;
};

struct sw_cbpf_prog {
	uint32_t linktype;            /* SW_LINKTYPE_* */
	const struct sw_cbpf_insn *insns;
	size_t len;
};

/* eBPF instructions for a function (skb, linktype) returning nonzero when the
 * packet matches the program of its link type, 0 otherwise (no program for
 * it, a read past the packet's end, a division by zero, or ret #0). On
 * Ethernet, an outer VLAN tag the kernel moved into the skb's metadata is read
 * as though it were still in the data, as libpcap writes it in a savefile.
 * Returns a malloc'd array and its length in *n, or NULL with a sentence in err. */
struct bpf_insn *cbpf_translate(const struct sw_cbpf_prog *progs, int n_progs, size_t *n,
				char *err, size_t errlen);

#endif
