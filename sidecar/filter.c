// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include "filter.h"
#include "../bpf/sockwatch.h"

int filter_build(const char *expr, unsigned int needs, struct sw_filter_code *out, char *err, size_t errlen)
{
	struct sw_cbpf_prog progs[PCAPF_LINKTYPES];
	int n;

	memset(out, 0, sizeof(*out));
	pcapf_compile(&out->pcap, expr);
	for (unsigned int t = SW_LINKTYPE_ETHER; t <= SW_LINKTYPE_RAW; t++) {
		if (!(needs & FILTER_NEEDS(t)) || pcapf_has(&out->pcap, t))
			continue;
		/* on every interface, a raw-IP device can do without: the filter matches nothing there */
		if (t == SW_LINKTYPE_RAW && pcapf_has(&out->pcap, SW_LINKTYPE_ETHER) && (needs & FILTER_NEEDS(SW_LINKTYPE_ETHER)))
			continue;
		snprintf(err, errlen, "the filter '%s' is not valid%s: %s", expr,
			 t == SW_LINKTYPE_RAW ? " on a device without a link-layer header" : "",
			 out->pcap.why[t - 1]);
		return -1;
	}
	n = pcapf_programs(&out->pcap, progs);
	out->ebpf = cbpf_translate(progs, n, &out->n, err, errlen);
	return out->ebpf ? 0 : -2;
}

int filter_explain(const char *expr, FILE *to, char *err, size_t errlen)
{
	struct sw_filter_code f;
	int ret = filter_build(expr, FILTER_NEEDS(SW_LINKTYPE_ETHER), &f, err, errlen);

	if (!ret) {
		fprintf(to, "filter: %s\n", expr);
		fprintf(to, "runs:   in the kernel, in the socket filter, on each packet's bytes before any "
			"parsing: a packet it rejects costs nothing more (%zu eBPF instructions)\n", f.n);
		fprintf(to, "        compiled by %s as tcpdump -r compiles it (optimised, netmask 0); "
			"an outer VLAN tag in the skb's metadata reads as though in the data\n", pcapf_version());
		pcapf_dump(&f.pcap, to);
	}
	filter_free(&f);
	return ret;
}

void filter_free(struct sw_filter_code *f)
{
	pcapf_free(&f->pcap);
	free(f->ebpf);
	f->ebpf = NULL;
}
