// SPDX-License-Identifier: MIT
/* Filter expressions compiled by libpcap, as tcpdump compiles them. */
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>
#include "pcapfilter.h"
#include <linux/types.h>
#include "../bpf/sockwatch.h"

/* tcpdump's default snapshot length: `ret #262144` accepts a packet. */
#define SNAPLEN 262144

static const struct {
	unsigned int linktype;
	int dlt;
	const char *name;
} links[PCAPF_LINKTYPES] = {
	{ SW_LINKTYPE_ETHER, DLT_EN10MB, "Ethernet devices (loopback too)" },
	{ SW_LINKTYPE_RAW, DLT_RAW, "raw-IP devices (tun, ipip, sit, WireGuard)" },
};

static int compile_one(struct pcapf *f, int i)
{
	pcap_t *p = pcap_open_dead(links[i].dlt, SNAPLEN);
	struct bpf_program prog = { 0 };
	int err = -1;

	if (!p) {
		snprintf(f->why[i], sizeof(f->why[i]), "libpcap could not start");
		return -1;
	}
	/* netmask 0, as tcpdump -r: 'ip broadcast' then means 255.255.255.255 or 0.0.0.0 */
	if (pcap_compile(p, &prog, f->expr, 1, 0) < 0) {
		snprintf(f->why[i], sizeof(f->why[i]), "%s", pcap_geterr(p));
		goto cleanup;
	}
	f->insns[i] = calloc(prog.bf_len ? prog.bf_len : 1, sizeof(struct sw_cbpf_insn));
	if (!f->insns[i]) {
		snprintf(f->why[i], sizeof(f->why[i]), "out of memory");
		goto cleanup;
	}
	for (unsigned int k = 0; k < prog.bf_len; k++)
		f->insns[i][k] = (struct sw_cbpf_insn){ prog.bf_insns[k].code, prog.bf_insns[k].jt,
							 prog.bf_insns[k].jf, prog.bf_insns[k].k };
	f->len[i] = prog.bf_len;
	err = 0;
cleanup:
	pcap_freecode(&prog);
	pcap_close(p);
	return err;
}

int pcapf_compile(struct pcapf *f, const char *expr)
{
	int n = 0;

	memset(f, 0, sizeof(*f));
	f->expr = expr;
	for (int i = 0; i < PCAPF_LINKTYPES; i++)
		n += compile_one(f, i) == 0;
	return n;
}

bool pcapf_has(const struct pcapf *f, unsigned int linktype)
{
	return linktype >= 1 && linktype <= PCAPF_LINKTYPES && f->insns[linktype - 1];
}

int pcapf_programs(const struct pcapf *f, struct sw_cbpf_prog *out)
{
	int n = 0;

	for (int i = 0; i < PCAPF_LINKTYPES; i++)
		if (f->insns[i])
			out[n++] = (struct sw_cbpf_prog){ links[i].linktype, f->insns[i], f->len[i] };
	return n;
}

const char *pcapf_linktype_name(unsigned int linktype)
{
	for (int i = 0; i < PCAPF_LINKTYPES; i++)
		if (links[i].linktype == linktype)
			return links[i].name;
	return "other devices";
}

void pcapf_dump(const struct pcapf *f, FILE *to)
{
	for (int i = 0; i < PCAPF_LINKTYPES; i++) {
		if (!f->insns[i]) {
			fprintf(to, "%s: the filter cannot apply (%s), so it matches nothing there\n",
				links[i].name, f->why[i]);
			continue;
		}
		fprintf(to, "%s: %zu classic BPF instructions\n", links[i].name, f->len[i]);
		for (size_t k = 0; k < f->len[i]; k++) {
			struct bpf_insn insn = { f->insns[i][k].code, f->insns[i][k].jt, f->insns[i][k].jf,
						 f->insns[i][k].k };

			fprintf(to, "%s\n", bpf_image(&insn, (int)k));
		}
	}
}

const char *pcapf_version(void)
{
	return pcap_lib_version();
}

void pcapf_free(struct pcapf *f)
{
	for (int i = 0; i < PCAPF_LINKTYPES; i++)
		free(f->insns[i]);
	memset(f, 0, sizeof(*f));
}
